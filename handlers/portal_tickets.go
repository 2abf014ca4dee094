package handlers

import (
	"errors"
	"html/template"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// The customer's tickets (SPEC T-1 … T-5): the listing at the portal's home, a ticket's detail
// page and its attachments. Every query goes through the viewer's PortalScope.

// ticketRowView is one row of the portal listing.
type ticketRowView struct {
	Ref, Subject, Status, URL string
	Closed                    bool
	Created, LastActivity     stamp
}

// portalTicketsPage is the view model of the listing page and its fragment.
type portalTicketsPage struct {
	Base
	Rows      []ticketRowView
	RowsHTML  template.HTML // Rows rendered, shared by every page with the same rows
	View      string
	Status    string
	Sort      string
	CanSeeOrg bool
	NextURL   string
	Query     string // the search box's text; with words, Rows are search results
	ListURL   string // this listing, refetched when a live event says a ticket changed
	Events    string // the listing's live-update stream
	Preview   bool   // an admin looking at the portal: no tickets of their own
}

// portalScope is the signed-in customer's scope; admins previewing have none.
func (h *Handler) portalScope(c *fiber.Ctx) (models.PortalScope, bool) {
	v := h.viewer(c)
	if v.Contact == nil {
		return models.PortalScope{}, false
	}
	return h.app.PortalScope(h.portal(c), *v.Contact), true
}

// showPortalHome lists the customer's tickets: view (mine / organisation), open or closed, sort,
// pages by cursor. htmx requests get the list fragment alone.
func (h *Handler) showPortalHome(c *fiber.Ctx) error {
	vm := portalTicketsPage{Base: h.base(c, "portal.tickets.title", "portal"),
		View:   oneOf(c.Query("view"), models.ViewMine, models.ViewOrg),
		Status: oneOf(c.Query("status"), "", "open", "closed"), Sort: oneOf(c.Query("sort"), "activity", "created")}
	vm.Query = portalSearchText(c.Query("q"))
	scope, ok := h.portalScope(c)
	if !ok {
		vm.Preview = true
		return h.page(c, fiber.StatusOK, "pages/portal/home", "partials/portal/ticket_list", vm)
	}
	vm.CanSeeOrg = scope.CompanyID != 0
	vm.Events = h.portalURL(c, "/events")
	vm.ListURL = h.portalURL(c, "/") + "?" + url.Values{"view": {vm.View}, "status": {vm.Status}, "sort": {vm.Sort}, "q": {vm.Query}}.Encode()
	if !vm.CanSeeOrg {
		vm.View = models.ViewMine
	}
	page, err := h.portalListing(c.UserContext(), scope, models.PortalQuery{
		View: vm.View, Status: vm.Status, Sort: vm.Sort, After: c.Query("after"), Limit: 25}, vm.Query)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return fiber.ErrBadRequest
	}
	if err != nil {
		return err
	}
	if vm.RowsHTML, err = h.portalRowsHTML(c, vm, page.Rows); err != nil {
		return err
	}
	if page.Next != "" {
		q := url.Values{"view": {vm.View}, "status": {vm.Status}, "sort": {vm.Sort}, "after": {page.Next}}
		vm.NextURL = h.portalURL(c, "/") + "?" + q.Encode()
	}
	return h.page(c, fiber.StatusOK, "pages/portal/home", "partials/portal/ticket_list", vm)
}

// portalRowsHTML renders the listing's rows, shared by every page showing the same rows: the
// cache key is made of the rows' values as read, so a page served from the cache formats no
// date, reference or link.
func (h *Handler) portalRowsHTML(c *fiber.Ctx, vm portalTicketsPage, rows []models.PortalTicketRow) (template.HTML, error) {
	if len(rows) == 0 {
		return "", nil
	}
	lk, err := h.app.Lookups(c.UserContext())
	if err != nil {
		return "", err
	}
	status := func(r models.PortalTicketRow) string {
		return h.statusLabel(vm.Base, r.IsClosed, lk.Stages[r.StageID].Name)
	}
	base := h.portalURL(c, "/tickets/")
	k := newKeyBuilder("partials/portal/ticket_rows", 64+len(rows)*96)
	k.str(vm.Lang)
	k.str(base)
	for _, r := range rows {
		k.int(r.Number)
		k.str(r.Subject)
		k.str(status(r))
		k.bool(r.IsClosed)
		k.time(r.CreatedAt)
		k.time(r.LastActivityAt)
	}
	key := k.key()
	if html, ok := h.fragments.get(key); ok {
		return html, nil
	}
	for _, r := range rows {
		vm.Rows = append(vm.Rows, ticketRowView{Ref: r.Ref(), Subject: r.Subject, Closed: r.IsClosed,
			Status: status(r), URL: base + r.Ref(), Created: dateStamp(r.CreatedAt), LastActivity: timeStamp(r.LastActivityAt)})
	}
	html, err := h.renderFragment("partials/portal/ticket_rows", vm)
	if err == nil {
		h.fragments.put(key, html)
	}
	return html, err
}

// statusLabel is "Open"/"Closed" (SPEC T-2), or the stage's own name when the admin chose so.
func (h *Handler) statusLabel(b Base, closed bool, stage string) string {
	if h.portalShowsStages(b) && stage != "" {
		return stage
	}
	if closed {
		return b.T("status.closed")
	}
	return b.T("status.open")
}

func (h *Handler) portalShowsStages(b Base) bool { return b.Portal != nil && b.Portal.ShowStages }

// messageView is one message of the thread as a customer sees it.
type messageView struct {
	Author    string
	FromStaff bool
	Body      string
	HTML      template.HTML // an agent's rich text, sanitised when written; else Body is shown
	CreatedAt time.Time
	Stamp     stamp // CreatedAt formatted once (a thread may hold hundreds of messages)
	Files     []fileView
}

// fileView is an attachment link.
type fileView struct {
	Name, URL string
	Size      int64
}

// portalTicketPage is the view model of a ticket's detail page and its thread fragment.
type portalTicketPage struct {
	Base
	Ticket   models.Ticket
	Status   string
	Messages []messageView
	// MessagesHTML is the thread's messages already rendered (from the fragment cache, or
	// rendered once for it); the template shows it instead of Messages.
	MessagesHTML template.HTML
	URL          string            // the ticket page's public address
	Events       string            // its live-update stream
	Body         string            // the reply being written, kept when the form comes back
	Errors       map[string]string // reply form errors
	// ReplyBox says how the reply box of an open ticket is drawn: "page" on the page, "swap"
	// out of band in the thread fragment (the page shows a closed ticket's reason, and the
	// ticket has been reopened), "" not at all (a fragment leaves the box being typed in alone).
	ReplyBox string
}

// showPortalTicket shows a ticket the customer may see, with its most recent thread and no
// internal notes (SPEC T-5), and the reply form while it is open. Any other reference is 404,
// whoever owns it.
func (h *Handler) showPortalTicket(c *fiber.Ctx) error {
	vm, err := h.portalTicket(c, "portal.ticket.title")
	if err != nil {
		return err
	}
	vm.ReplyBox = "page"
	return h.render(c, fiber.StatusOK, "pages/portal/ticket", vm)
}

// portalTicket loads the ticket named in the URL through the viewer's scope, with its thread.
func (h *Handler) portalTicket(c *fiber.Ctx, titleKey string) (portalTicketPage, error) {
	scope, ok := h.portalScope(c)
	number, err := models.ParseRef(c.Params("ref"))
	if !ok || err != nil {
		return portalTicketPage{}, models.ErrNotFound
	}
	ctx := c.UserContext()
	t, err := h.app.Stores.Tickets.ForPortalByNumber(ctx, scope, number)
	if err != nil {
		return portalTicketPage{}, err
	}
	vm := portalTicketPage{Base: h.base(c, titleKey, "portal"), Ticket: t, Errors: map[string]string{}}
	vm.Title = t.Ref() + " · " + t.Subject
	vm.URL = h.portalURL(c, "/tickets/"+t.Ref())
	vm.Events = h.portalURL(c, "/events") + "?ticket=" + t.Ref()
	lk, err := h.app.Lookups(ctx)
	if err != nil {
		return vm, err
	}
	vm.Status = h.statusLabel(vm.Base, t.IsClosed, lk.Stages[t.StageID].Name)
	th, err := h.app.Stores.Tickets.LatestThread(ctx, t.ID)
	if errors.Is(err, models.ErrNotFound) {
		return vm, nil
	}
	if err != nil {
		return vm, err
	}
	// A thread's messages look the same to everyone who may see the ticket: rendered once per
	// version of the thread (fragment_cache.go).
	n, last, err := h.app.Stores.Tickets.ThreadVersion(ctx, th.ID, false)
	if err != nil {
		return vm, err
	}
	key := strings.Join([]string{"portal-thread", strconv.FormatInt(th.ID, 10), strconv.FormatInt(n, 10),
		strconv.FormatInt(last, 10), vm.Lang, h.portalURL(c, "")}, "|")
	if html, ok := h.fragments.get(key); ok {
		vm.MessagesHTML = html
		return vm, nil
	}
	msgs, err := h.app.Stores.Tickets.Messages(ctx, th.ID, false)
	if err != nil {
		return vm, err
	}
	staff, contacts, err := h.app.Stores.Tickets.AuthorNames(ctx, msgs)
	if err != nil {
		return vm, err
	}
	for _, m := range msgs {
		// BodyHTML was rendered from Markdown and sanitised when the agent wrote it (DeskReply).
		mv := messageView{Body: m.Body, HTML: template.HTML(m.BodyHTML), CreatedAt: m.CreatedAt, Stamp: timeStamp(m.CreatedAt),
			FromStaff: m.AuthorKind == models.AuthorStaff}
		switch {
		case m.AuthorStaffID != nil:
			mv.Author = staff[*m.AuthorStaffID]
		case m.AuthorContactID != nil:
			mv.Author = contacts[*m.AuthorContactID]
		default:
			mv.Author = vm.T("portal.ticket.system")
		}
		for _, a := range m.Attachments {
			mv.Files = append(mv.Files, fileView{Name: a.Filename, Size: a.Size, URL: h.portalURL(c, "/attachments/"+a.PublicID)})
		}
		vm.Messages = append(vm.Messages, mv)
	}
	if len(vm.Messages) > 0 {
		if vm.MessagesHTML, err = h.renderFragment("partials/portal/messages", vm); err != nil {
			return vm, err
		}
		h.fragments.put(key, vm.MessagesHTML)
	}
	return vm, nil
}

// servePortalAttachment sends an attachment the customer may see, always as a download with
// a server-chosen type (FILE-02): a stored HTML or SVG file can never run in our origin.
func (h *Handler) servePortalAttachment(c *fiber.Ctx) error {
	scope, ok := h.portalScope(c)
	if !ok {
		return models.ErrNotFound
	}
	a, err := h.app.Stores.Tickets.AttachmentForPortal(c.UserContext(), scope, c.Params("id"))
	if err != nil {
		return err
	}
	return h.sendAttachment(c, a)
}

// sendAttachment streams a stored file as a download with a server-chosen type and a sandbox
// CSP (FILE-02), whoever may see it: a stored HTML or SVG file never runs in our origin.
func (h *Handler) sendAttachment(c *fiber.Ctx, a models.Attachment) error {
	f, err := h.app.Storage.Open(c.UserContext(), a.StorageKey)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})
	if disposition == "" { // a name FormatMediaType cannot encode (control characters)
		disposition = "attachment"
	}
	c.Set(fiber.HeaderContentDisposition, disposition)
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentLength, strconv.FormatInt(a.Size, 10))
	return c.SendStream(f, int(a.Size))
}

// oneOf returns v when it is one of the allowed values, else the first allowed value.
func oneOf(v string, allowed ...string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return allowed[0]
}
