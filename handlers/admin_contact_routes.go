package handlers

import "github.com/gofiber/fiber/v2"

// registerAdminContactRoutes declares the admin pages of contacts, companies and contact lists
// (SPEC A-5), including CSV import.
func (h *Handler) registerAdminContactRoutes(f *fiber.App) {
	h.add(f, "GET", "/admin/contacts/:id", admins, "admin.contact", h.showAdminContact)
}
