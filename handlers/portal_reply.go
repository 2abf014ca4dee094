package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until portal replies and live updates are written.

func (h *Handler) showPortalThread(c *fiber.Ctx) error  { return fiber.ErrNotFound }
func (h *Handler) submitPortalReply(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) portalEvents(c *fiber.Ctx) error      { return fiber.ErrNotFound }
