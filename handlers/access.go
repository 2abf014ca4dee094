package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"portico/app"
)

// requireStaff lets signed-in admins and agents through and sends everyone else to the staff
// sign-in page. An htmx request gets 401 with HX-Redirect, so a sign-in page is never swapped
// into a fragment (SESS-03).
func (h *Handler) requireStaff(c *fiber.Ctx) error {
	if h.viewer(c).IsStaff() {
		return c.Next()
	}
	return h.toLogin(c)
}

// requireAdmin is requireStaff plus the admin role; an agent gets 403.
func (h *Handler) requireAdmin(c *fiber.Ctx) error {
	v := h.viewer(c)
	if !v.IsStaff() {
		return h.toLogin(c)
	}
	if !v.IsAdmin() {
		return app.ErrForbidden
	}
	return c.Next()
}

// toLogin sends an anonymous visitor to sign in, coming back to this page afterwards.
func (h *Handler) toLogin(c *fiber.Ctx) error {
	next := c.OriginalURL()
	if c.Method() != fiber.MethodGet {
		next = ""
	}
	to := "/login"
	if next != "" && next != "/" {
		to += "?next=" + url.QueryEscape(next)
	}
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}
