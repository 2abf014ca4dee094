package handlers

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// deletion describes an admin page's delete action for deleteConfirmed.
type deletion struct {
	exists      func(ctx context.Context, id int64) error // ErrNotFound for an unknown record
	remove      func(ctx context.Context, id int64) error
	page        string // the record's page, before its id ("/admin/companies/")
	done        string // where to go once it is deleted
	unconfirmed string // flash message IDs
	deleted     string
}

// deleteConfirmed deletes the record named by :id once the form's confirmation box is ticked,
// so that it works without JavaScript and a stray click deletes nothing: unticked, it goes back
// to the record's page with a message. An unknown id is 404 either way.
func (h *Handler) deleteConfirmed(c *fiber.Ctx, d deletion) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if c.FormValue("confirm") != "yes" {
		if err := d.exists(ctx, id); err != nil {
			return err
		}
		h.setFlash(c, "error", d.unconfirmed)
		return redirect(c, d.page+strconv.FormatInt(id, 10))
	}
	if err := d.remove(ctx, id); err != nil {
		return err
	}
	h.setFlash(c, "info", d.deleted)
	return redirect(c, d.done)
}
