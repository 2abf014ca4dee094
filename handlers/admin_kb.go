package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until the knowledge-base editor is written.

func (h *Handler) showAdminKB(c *fiber.Ctx) error        { return fiber.ErrNotFound }
func (h *Handler) showKBCategoryForm(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) saveKBCategory(c *fiber.Ctx) error     { return fiber.ErrNotFound }
func (h *Handler) deleteKBCategory(c *fiber.Ctx) error   { return fiber.ErrNotFound }
func (h *Handler) showKBArticleForm(c *fiber.Ctx) error  { return fiber.ErrNotFound }
func (h *Handler) saveKBArticle(c *fiber.Ctx) error      { return fiber.ErrNotFound }
func (h *Handler) deleteKBArticle(c *fiber.Ctx) error    { return fiber.ErrNotFound }
