package handlers

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Base is embedded in every view model: what the layout needs on every page.
type Base struct {
	Title     string // already translated
	Lang      string
	CSRF      string
	Nonce     string
	Area      string // "auth", "admin", "desk", "portal": the layout picks navigation by it
	Viewer    *Viewer
	Flash     *Flash
	RequestID string
	Portal    *PortalView   // set on customer portal pages: the portal's header and links
	Brand     *BrandingView // set on customer portal pages: logo, favicon, colours, menu
	tr        translator
	header    func(Base) (template.HTML, error) // renders SiteHeader (site_header.go)
}

type translator interface {
	T(lang, id string, data ...any) string
}

// T translates a message ID into the page's language.
func (b Base) T(id string, data ...any) string {
	if b.tr == nil {
		return id
	}
	return b.tr.T(b.Lang, id, data...)
}

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string // "info" or "error"
	Message string // translated
}

// base builds the common view model; titleKey is a message ID.
func (h *Handler) base(c *fiber.Ctx, titleKey, area string) Base {
	lang := h.lang(c)
	if area == "portal" {
		lang = h.portalLang(c)
	}
	b := Base{
		Lang:      lang,
		Area:      area,
		Viewer:    h.viewer(c),
		Nonce:     localString(c, localNonce),
		RequestID: localString(c, localRequestID),
		tr:        h.tr,
	}
	b.Title = h.tr.T(lang, titleKey)
	if area == "portal" {
		b.Portal = h.portalView(c, lang)
		brand := h.brandingView(c)
		b.Brand = &brand
	}
	b.CSRF = h.csrfToken(c)
	if !isFragment(c) {
		// Only whole pages show the flash. A live page refetches its fragments while the
		// browser follows a form's redirect; taking the flash there would lose it.
		b.Flash = h.takeFlash(c, lang)
	}
	b.header = h.siteHeader
	return b
}

// lang picks the language of the page: the staff user's own choice, else the browser's
// preference among the shipped languages, else the configured default.
func (h *Handler) lang(c *fiber.Ctx) string {
	if v := h.viewer(c); v.Staff != nil && h.tr.Supports(v.Staff.Language) {
		return v.Staff.Language
	}
	return h.tr.Match(c.Get(fiber.HeaderAcceptLanguage), []string{"en", "pt-BR"}, h.cfg.Language)
}

func localString(c *fiber.Ctx, key string) string {
	s, _ := c.Locals(key).(string)
	return s
}

// isFragment reports whether to answer with the fragment alone: an htmx request that is
// neither boosted (which wants a whole page) nor a history restore.
func isFragment(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") == "" &&
		c.Get("HX-History-Restore-Request") == ""
}

// render writes a template with a status code.
func (h *Handler) render(c *fiber.Ctx, status int, name string, vm any) error {
	c.Set(fiber.HeaderVary, "HX-Request")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Render(name, vm)
}

// page renders the full page, or only its fragment for htmx; both come from the same partial
// file, which the page includes.
func (h *Handler) page(c *fiber.Ctx, status int, page, fragment string, vm any) error {
	if fragment != "" && isFragment(c) {
		return h.render(c, status, fragment, vm)
	}
	return h.render(c, status, page, vm)
}

// redirect answers a form post with 303 See Other (POST-redirect-GET); for htmx it sends
// HX-Redirect so that the whole page changes rather than a fragment.
func redirect(c *fiber.Ctx, to string) error {
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(http.StatusNoContent)
	}
	return c.Redirect(to, http.StatusSeeOther)
}

// setFlash stores a message ID for the next page in a short-lived cookie.
func (h *Handler) setFlash(c *fiber.Ctx, kind, messageID string) {
	c.Cookie(&fiber.Cookie{Name: h.flashCookie(), Value: kind + ":" + messageID, Path: "/",
		MaxAge: 60, HTTPOnly: true, Secure: h.cfg.SecureCookies(), SameSite: "Lax"})
}

// flashCookie names the flash cookie, with the __Host- prefix over HTTPS like the session's.
func (h *Handler) flashCookie() string {
	if h.cfg.SecureCookies() {
		return "__Host-portico_flash"
	}
	return "portico_flash"
}

// takeFlash reads and clears the flash cookie. Only message IDs under "flash." are shown, so a
// forged cookie can display nothing but our own texts.
func (h *Handler) takeFlash(c *fiber.Ctx, lang string) *Flash {
	raw := c.Cookies(h.flashCookie())
	if raw == "" {
		return nil
	}
	c.Cookie(&fiber.Cookie{Name: h.flashCookie(), Value: "", Path: "/", MaxAge: -1,
		Expires: time.Unix(0, 0), HTTPOnly: true, Secure: h.cfg.SecureCookies(), SameSite: "Lax"})
	kind, id, ok := strings.Cut(raw, ":")
	if !ok || !strings.HasPrefix(id, "flash.") || (kind != "info" && kind != "error") {
		return nil
	}
	return &Flash{Kind: kind, Message: h.tr.T(lang, id)}
}

// templateFuncs are formatting helpers only; templates decide nothing.
func templateFuncs(a *assetTable) template.FuncMap {
	return template.FuncMap{
		"asset": a.url,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"excerpt": excerpt,
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"channelIcon": channelIcon,
		"propField":   propField,
	}
}

// stamp is a time formatted once in Go for list rows: a template function per cell costs a
// reflective call per row, a field does not.
type stamp struct {
	ISO  string // for the datetime attribute
	Text string // shown
}

// dateStamp formats t as a date; timeStamp as a date and time (both UTC, like the template
// functions date and datetime).
func dateStamp(t time.Time) stamp {
	return stamp{ISO: t.UTC().Format(time.RFC3339), Text: t.UTC().Format("2006-01-02")}
}

func timeStamp(t time.Time) stamp {
	return stamp{ISO: t.UTC().Format(time.RFC3339), Text: t.UTC().Format("2006-01-02 15:04 UTC")}
}
