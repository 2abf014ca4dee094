package handlers

import "github.com/gofiber/fiber/v2"

// The SSO handlers are written by the SSO work; until then the endpoints do not exist.

func (h *Handler) ssoJWT(c *fiber.Ctx) error       { return fiber.ErrNotFound }
func (h *Handler) samlMetadata(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) samlLogin(c *fiber.Ctx) error    { return fiber.ErrNotFound }
func (h *Handler) samlACS(c *fiber.Ctx) error      { return fiber.ErrNotFound }

func (h *Handler) showSSOSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
func (h *Handler) saveSSOSettings(c *fiber.Ctx) error { return fiber.ErrNotFound }
