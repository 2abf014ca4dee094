package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// adminHomePage is the admin dashboard's view model.
type adminHomePage struct {
	Base
	Tickets  int64
	Articles int64
}

// showAdminHome renders the admin dashboard.
func (h *Handler) showAdminHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	n, err := h.app.Stores.Tickets.Count(ctx)
	if err != nil {
		return err
	}
	a, err := h.app.Stores.KB.CountArticles(ctx)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/home", adminHomePage{Base: h.base(c, "admin.title", "admin"), Tickets: n, Articles: a})
}

// showHealth answers load balancers: 200 when the database answers, 503 when not.
func (h *Handler) showHealth(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := h.app.Healthy(c.UserContext()); err != nil {
		h.log.Warn("health check failed", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unavailable\n")
	}
	return c.SendString("ok\n")
}

func itoa(n int) string { return strconv.Itoa(n) }
