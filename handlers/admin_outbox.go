package handlers

import (
	"html"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// outboxPage is the view model of the outbox listing.
type outboxPage struct {
	Base
	Emails         []models.OutboxEmail // newest first, without bodies
	SMTPConfigured bool                 // e-mails are sent, not only kept
	Paged          bool                 // not the first page: offer a link back to the newest
	OlderURL       string               // the next, older page; empty on the last
}

// outboxEmailPage is the view model of one outgoing e-mail.
type outboxEmailPage struct {
	Base
	Email models.OutboxEmail
	// Body is the text body, HTML-escaped, with only links into this installation made
	// clickable. The HTML alternative is never shown.
	Body template.HTML
}

// showOutbox lists outgoing e-mail newest first, 50 a page, paged by ?before=<id of the last
// e-mail shown> so that it works without JavaScript and stays exact while e-mail arrives.
func (h *Handler) showOutbox(c *fiber.Ctx) error {
	var before int64
	if q := c.Query("before"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 1 {
			return fiber.ErrBadRequest
		}
		before = n
	}
	rows, more, err := h.app.Stores.Outbox.List(c.UserContext(), before, models.OutboxPageSize)
	if err != nil {
		return err
	}
	vm := outboxPage{Base: h.base(c, "outbox.title", "admin"), Emails: rows,
		SMTPConfigured: h.app.Opts.SMTP.Host != "", Paged: before > 0}
	if more {
		vm.OlderURL = "/admin/outbox?before=" + strconv.FormatInt(rows[len(rows)-1].ID, 10)
	}
	return h.render(c, fiber.StatusOK, "pages/admin/outbox", vm)
}

// showOutboxEmail shows one outgoing e-mail: its headers and its text body.
func (h *Handler) showOutboxEmail(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return models.ErrNotFound
	}
	e, err := h.app.Stores.Outbox.ByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	vm := outboxEmailPage{Base: h.base(c, "outbox.email_title", "admin"), Email: e,
		Body: linkifyOwnURLs(e.TextBody, h.cfg.BaseURL)}
	return h.render(c, fiber.StatusOK, "pages/admin/outbox_email", vm)
}

// linkifyOwnURLs escapes text for HTML and turns into links only the URLs that point into this
// installation: those starting with base followed by "/", "?", "#" or their end. An admin can
// then follow an invitation or reset link from the outbox, while any other URL — a body may
// quote what a customer typed — stays inert text.
func linkifyOwnURLs(text, base string) template.HTML {
	base = strings.TrimRight(base, "/")
	if base == "" {
		return template.HTML(html.EscapeString(text))
	}
	var b strings.Builder
	for {
		i := indexOwnURL(text, base)
		if i < 0 {
			b.WriteString(html.EscapeString(text))
			return template.HTML(b.String())
		}
		end := i + len(base)
		for end < len(text) && isURLByte(text[end]) {
			end++
		}
		// Sentence punctuation after a link is not part of it.
		for end > i+len(base) && strings.IndexByte(".,;:!?)]", text[end-1]) >= 0 {
			end--
		}
		link := text[i:end]
		b.WriteString(html.EscapeString(text[:i]))
		b.WriteString(`<a href="` + html.EscapeString(link) + `">` + html.EscapeString(link) + `</a>`)
		text = text[end:]
	}
}

// indexOwnURL finds the first occurrence of base in text that starts a URL (at the start, or
// after a character that cannot continue a URL, or after an opening bracket) and ends at a
// boundary of the base (so https://portal.example.com.evil.net or
// https://portal.example.com@evil.net do not count).
func indexOwnURL(text, base string) int {
	off := 0
	for {
		j := strings.Index(text[off:], base)
		if j < 0 {
			return -1
		}
		i := off + j
		after := i + len(base)
		startOK := i == 0 || !isURLByte(text[i-1]) || text[i-1] == '(' || text[i-1] == '['
		endOK := after == len(text) || strings.IndexByte("/?#", text[after]) >= 0 || !isURLByte(text[after])
		if startOK && endOK {
			return i
		}
		off = i + 1
	}
}

// isURLByte reports whether c may appear in a URL as written in a plain-text e-mail. Quotes and
// angle brackets end a URL.
func isURLByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&()*+,;=%", c) >= 0
}
