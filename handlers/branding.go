package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// BrandingView is what the layout needs to brand a portal, knowledge-base or system page
// (SPEC P-10). Every field is safe to print as it is: the colours are checked again here to be
// #rrggbb (they go into a <style> block), menu links whose address is not a safe link are
// left out, and the file URLs are our own paths.
type BrandingView struct {
	Title      string           // the portal's title (browser tab and heading)
	LogoURL    string           // /branding/<id>, or empty: no logo
	FaviconURL string           // /branding/<id>, or empty: the default favicon
	Primary    string           // #rrggbb
	Secondary  string           // #rrggbb
	Welcome    string           // plain text for the front page
	Nav        []models.NavLink // the admin's menu links
	PortalURL  string           // the portal's front page for this request (slug or custom domain)
}

// brandingView builds the BrandingView of this request's portal settings.
func (h *Handler) brandingView(c *fiber.Ctx) BrandingView {
	p := h.portal(c)
	def := models.DefaultPortalSettings().Branding
	v := BrandingView{Title: p.Title, LogoURL: brandingFileURL(p.Branding.LogoID),
		FaviconURL: brandingFileURL(p.Branding.FaviconID), Primary: def.Primary, Secondary: def.Secondary,
		Welcome: p.Branding.Welcome, PortalURL: h.portalURL(c, "/")}
	if isColour(p.Branding.Primary) {
		v.Primary = strings.ToLower(p.Branding.Primary)
	}
	if isColour(p.Branding.Secondary) {
		v.Secondary = strings.ToLower(p.Branding.Secondary)
	}
	for _, l := range p.Branding.Nav {
		if models.SafeLinkURL(l.URL) && strings.TrimSpace(l.Label) != "" {
			v.Nav = append(v.Nav, models.NavLink{Label: l.Label, URL: strings.TrimSpace(l.URL)})
		}
	}
	return v
}

// brandingFileURL is the public address of a branding file, or "" for none.
func brandingFileURL(publicID string) string {
	if !models.ValidPublicID(publicID) {
		return ""
	}
	return "/branding/" + publicID
}

// isColour reports whether s is a colour written #rrggbb.
func isColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, r := range s[1:] {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// brandingExt names the file a browser saves, from the sniffed type; never the uploaded name.
var brandingExt = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "image/x-icon": ".ico",
}

// serveBrandingFile serves a logo or favicon to anyone (SECURITY FILE-02): with the type
// sniffed at upload, nosniff, a sandbox CSP that denies everything should the file ever be
// opened as a document, and a year of caching (each upload gets a new id). Unknown ids are 404.
func (h *Handler) serveBrandingFile(c *fiber.Ctx) error {
	f, r, err := h.app.OpenBranding(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "sandbox; default-src 'none'")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+f.Kind+brandingExt[f.ContentType]+`"`)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	etag := `"` + f.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		r.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Status(fiber.StatusOK).SendStream(r, int(f.Size))
}
