package handlers

import "github.com/gofiber/fiber/v2"

// registerAdminModelRoutes declares the admin pages of the ticket model and the team:
// pipelines and stages, custom ticket properties, staff users, teams and inboxes (SPEC D-10, A-5).
func (h *Handler) registerAdminModelRoutes(f *fiber.App) {
}
