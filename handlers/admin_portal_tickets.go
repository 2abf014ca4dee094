package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until the portal ticket settings page is written.

func (h *Handler) showPortalTicketSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) savePortalTicketSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
