package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"portico/models"
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

// deskHomePage is the agents' desk view model.
type deskHomePage struct {
	Base
	Tickets []models.Ticket
}

// showDeskHome lists the most recently active tickets (the full queue comes with the desk issue).
func (h *Handler) showDeskHome(c *fiber.Ctx) error {
	ts, err := h.app.Stores.Tickets.Recent(c.UserContext(), 25)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/desk/home", deskHomePage{Base: h.base(c, "desk.title", "desk"), Tickets: ts})
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
