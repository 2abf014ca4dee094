package handlers

import "github.com/gofiber/fiber/v2"

// Placeholders until the portal sign-in pages are written.

func (h *Handler) showPortalLogin(c *fiber.Ctx) error      { return fiber.ErrNotFound }
func (h *Handler) submitPortalLogin(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) submitPortalLogout(c *fiber.Ctx) error   { return fiber.ErrNotFound }
func (h *Handler) showRegister(c *fiber.Ctx) error         { return fiber.ErrNotFound }
func (h *Handler) submitRegister(c *fiber.Ctx) error       { return fiber.ErrNotFound }
func (h *Handler) showVerify(c *fiber.Ctx) error           { return fiber.ErrNotFound }
func (h *Handler) submitVerify(c *fiber.Ctx) error         { return fiber.ErrNotFound }
func (h *Handler) showInvite(c *fiber.Ctx) error           { return fiber.ErrNotFound }
func (h *Handler) submitInvite(c *fiber.Ctx) error         { return fiber.ErrNotFound }
func (h *Handler) showForgotPassword(c *fiber.Ctx) error   { return fiber.ErrNotFound }
func (h *Handler) submitForgotPassword(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) showResetPassword(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) submitResetPassword(c *fiber.Ctx) error  { return fiber.ErrNotFound }
func (h *Handler) showAccessDenied(c *fiber.Ctx) error     { return fiber.ErrNotFound }
func (h *Handler) submitPortalLanguage(c *fiber.Ctx) error { return fiber.ErrNotFound }
