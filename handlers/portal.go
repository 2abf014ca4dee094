package handlers

import (
	"net"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app/i18n"
	"portico/models"
)

const (
	localPortal     = "portal_settings"
	localPortalBase = "portal_base"
)

// portalRouting maps the public portal addresses onto the /portal routes: /<slug>/… when the
// admin chose another slug, and every path on the portal's custom domain. Old slugs and the
// default /portal redirect permanently to the current address. Everything else passes through.
func (h *Handler) portalRouting(c *fiber.Ctx) error {
	p, err := h.app.Portal(c.UserContext())
	if err != nil {
		// Route with the defaults: whatever needs the database will say so itself, and pages
		// that do not (staff sign-in, static files) keep working.
		h.log.Error("load portal settings", "err", err)
		p = models.DefaultPortalSettings()
	}
	c.Locals(localPortal, p)
	routed, redirectTo, custom := portalRoute(p, c.Hostname(), c.Path())
	if custom {
		c.Locals(localPortalBase, "")
	} else {
		c.Locals(localPortalBase, "/"+p.Slug)
	}
	if redirectTo != "" {
		return c.Redirect(redirectTo+query(c), fiber.StatusMovedPermanently)
	}
	if routed != c.Path() {
		c.Path(routed)
	}
	return c.Next()
}

// portalRoute is where the portal's settings send a request for path on host: the path the
// router sees (/portal/… for the portal's slug, or anything but a few top-level paths on its
// custom domain), or, for the portal's old or default address, the path to redirect to. custom
// reports a request on the custom domain. portalRouting routes with it, and the body limits
// (uploads.go) pick their rule with it before portalRouting has run.
func portalRoute(p models.PortalSettings, host, path string) (routed, redirectTo string, custom bool) {
	if p.CustomDomain != "" && strings.EqualFold(hostOnly(host), p.CustomDomain) {
		if ownTopLevel(path) {
			return path, "", true
		}
		return strings.TrimSuffix("/portal"+path, "/"), "", true
	}
	first, rest := splitFirst(path)
	switch {
	case first == p.Slug && p.Slug != "portal":
		return "/portal" + rest, "", false
	case first == "portal" && p.Slug != "portal", first != "" && first != p.Slug && contains(p.PreviousSlugs, first):
		return path, "/" + p.Slug + rest, false
	}
	return path, "", false
}

// ownTopLevel reports paths that stay themselves on the custom domain: assets, health, branding
// files and the knowledge base. Everything else there is the portal; staff use the host of
// PORTICO_BASE_URL.
func ownTopLevel(path string) bool {
	first, _ := splitFirst(path)
	switch first {
	case "static", "healthz", "branding", "kb":
		return true
	}
	return false
}

func splitFirst(path string) (first, rest string) {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func query(c *fiber.Ctx) string {
	if q := string(c.Request().URI().QueryString()); q != "" {
		return "?" + q
	}
	return ""
}

// portal returns the portal settings loaded for this request.
func (h *Handler) portal(c *fiber.Ctx) models.PortalSettings {
	if p, ok := c.Locals(localPortal).(models.PortalSettings); ok {
		return p
	}
	return models.DefaultPortalSettings()
}

// portalURL is the public address of a portal path ("/", "/login", …) for this request: under
// the slug, or at the root of the custom domain.
func (h *Handler) portalURL(c *fiber.Ctx, path string) string {
	base, _ := c.Locals(localPortalBase).(string)
	if path == "/" || path == "" {
		if base == "" {
			return "/"
		}
		return base
	}
	return base + path
}

// requireContact lets signed-in customers through (and admins, who preview the portal); others
// go to the portal's sign-in page, htmx requests by HX-Redirect.
func (h *Handler) requireContact(c *fiber.Ctx) error {
	v := h.viewer(c)
	if v.Contact != nil || v.IsAdmin() {
		return c.Next()
	}
	to := h.portalURL(c, "/login")
	if c.Method() == fiber.MethodGet {
		to += "?next=" + url.QueryEscape(c.OriginalURL())
	}
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// PortalView is what the layout needs on portal pages: the portal's name, its links and the
// visitor's language choices.
type PortalView struct {
	Title                                     string
	Home, Login, Register, Logout, Forgot     string
	NewTicket                                 string // "Submit a support ticket" (SPEC T-9)
	LanguageAction                            string
	SelfRegistration, Preview, ChooseLanguage bool
	ShowStages                                bool // show stage names instead of Open/Closed
	Languages                                 []LanguageOption
	Next                                      string // this page, to come back to after a language change
	Welcome                                   string // the admin's welcome text (plain), or ours
}

// LanguageOption is one language a visitor may pick.
type LanguageOption struct {
	Tag, Name string
	Current   bool
}

func (h *Handler) portalView(c *fiber.Ctx, lang string) *PortalView {
	p := h.portal(c)
	v := &PortalView{
		Title: p.Title, Home: h.portalURL(c, "/"), Login: h.portalURL(c, "/login"),
		Register: h.portalURL(c, "/register"), Logout: h.portalURL(c, "/logout"),
		Forgot: h.portalURL(c, "/password/forgot"), LanguageAction: h.portalURL(c, "/language"),
		NewTicket:        h.portalURL(c, "/new"),
		SelfRegistration: p.AccessMode == models.AccessSelfRegistration,
		Preview:          h.viewer(c).IsAdmin() && h.viewer(c).Contact == nil,
		ChooseLanguage:   p.VisitorLanguages && len(p.Languages) > 1,
		Next:             pathOnly(c.OriginalURL()), // never the query: it may hold a token
		Welcome:          p.Branding.Welcome,
		ShowStages:       p.ShowCustomStages,
	}
	if v.Welcome == "" {
		v.Welcome = h.tr.T(lang, "portal.welcome")
	}
	for _, l := range i18n.Supported {
		if contains(p.Languages, l.Tag) {
			v.Languages = append(v.Languages, LanguageOption{Tag: l.Tag, Name: l.Name, Current: l.Tag == lang})
		}
	}
	return v
}

// portalLang is the language of portal pages: the admin's choice, or, when visitors may choose,
// their saved choice, else their browser's preference among the enabled languages.
func (h *Handler) portalLang(c *fiber.Ctx) string {
	p := h.portal(c)
	if !p.VisitorLanguages || len(p.Languages) == 0 {
		return p.Language
	}
	if l := c.Cookies("portico_lang"); contains(p.Languages, l) {
		return l
	}
	if v := h.viewer(c); v.Contact != nil && contains(p.Languages, v.Contact.Language) {
		return v.Contact.Language
	}
	return h.tr.Match(c.Get(fiber.HeaderAcceptLanguage), p.Languages, p.Language)
}

// portalGate shows the "portal unavailable" page while the portal is switched off; admins still
// see it (preview).
func (h *Handler) portalGate(c *fiber.Ctx) error {
	if h.portal(c).Enabled || h.viewer(c).IsAdmin() {
		return c.Next()
	}
	vm := h.authPage(c, "portal.unavailable.title")
	vm.Heading, vm.Message = vm.T("portal.unavailable.heading"), vm.T("portal.unavailable.text")
	c.Set(fiber.HeaderRetryAfter, "3600")
	return h.render(c, fiber.StatusServiceUnavailable, "pages/portal/message", vm)
}

// pathOnly drops the query string of a request URI.
func pathOnly(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	return p
}

// hostOnly drops a port from a Host value ("help.example.com:8443" → "help.example.com").
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}
