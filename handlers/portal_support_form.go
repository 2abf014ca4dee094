package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until the support form is written.

func (h *Handler) showSupportForm(c *fiber.Ctx) error         { return fiber.ErrNotFound }
func (h *Handler) submitSupportForm(c *fiber.Ctx) error       { return fiber.ErrNotFound }
func (h *Handler) showSupportFormSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) saveSupportFormSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
