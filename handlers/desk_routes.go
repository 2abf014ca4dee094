package handlers

import "github.com/gofiber/fiber/v2"

// registerDeskRoutes declares the agents' desk (SPEC D-1 … D-9).
func (h *Handler) registerDeskRoutes(f *fiber.App) {
	h.add(f, "GET", "/desk", anyStaff, "desk.home", h.showDeskHome)
}
