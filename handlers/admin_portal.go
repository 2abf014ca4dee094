package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until the admin portal settings pages are written.

func (h *Handler) showPortalSettings(c *fiber.Ctx) error  { return fiber.ErrNotFound }
func (h *Handler) savePortalSettings(c *fiber.Ctx) error  { return fiber.ErrNotFound }
func (h *Handler) showPortalAccess(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) savePortalAccess(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) showConsentSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) saveConsentSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) showBranding(c *fiber.Ctx) error        { return fiber.ErrNotFound }
func (h *Handler) saveBranding(c *fiber.Ctx) error        { return fiber.ErrNotFound }
func (h *Handler) showAdminContact(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) serveBrandingFile(c *fiber.Ctx) error   { return fiber.ErrNotFound }
