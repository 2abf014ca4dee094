package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

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
	path := c.Path()
	if p.CustomDomain != "" && strings.EqualFold(c.Hostname(), p.CustomDomain) {
		c.Locals(localPortalBase, "")
		if !ownTopLevel(path) {
			c.Path(strings.TrimSuffix("/portal"+path, "/"))
		}
		return c.Next()
	}
	base := "/" + p.Slug
	c.Locals(localPortalBase, base)
	first, rest := splitFirst(path)
	switch {
	case first == p.Slug && p.Slug != "portal":
		c.Path("/portal" + rest)
	case first == "portal" && p.Slug != "portal", first != "" && first != p.Slug && contains(p.PreviousSlugs, first):
		return c.Redirect(base+rest+query(c), fiber.StatusMovedPermanently)
	}
	return c.Next()
}

// ownTopLevel reports paths that stay themselves on the custom domain: assets, health, branding
// files, the knowledge base, and the staff areas (so one host can serve everything).
func ownTopLevel(path string) bool {
	first, _ := splitFirst(path)
	switch first {
	case "static", "healthz", "branding", "kb", "admin", "desk", "login", "logout":
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
