package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until the knowledge base is written.

func (h *Handler) showKBHome(c *fiber.Ctx) error        { return fiber.ErrNotFound }
func (h *Handler) showKBSearch(c *fiber.Ctx) error      { return fiber.ErrNotFound }
func (h *Handler) showKBSuggestions(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) showKBCategory(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) showKBArticle(c *fiber.Ctx) error     { return fiber.ErrNotFound }
func (h *Handler) submitKBFeedback(c *fiber.Ctx) error  { return fiber.ErrNotFound }
