package handlers

import "github.com/gofiber/fiber/v2"

// showOutbox lists outgoing e-mail (to be written by the mail work).
func (h *Handler) showOutbox(c *fiber.Ctx) error { return fiber.ErrNotImplemented }

// showOutboxEmail shows one outgoing e-mail (to be written by the mail work).
func (h *Handler) showOutboxEmail(c *fiber.Ctx) error { return fiber.ErrNotImplemented }
