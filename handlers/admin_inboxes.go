package handlers

// Inboxes: where conversations of one channel arrive (a mailbox, the portal, a chat widget).
// An inbox that conversations came through is never deleted, only deactivated, so every
// thread keeps saying where it arrived.

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// inboxesPage is the view model of /admin/inboxes.
type inboxesPage struct {
	Base
	Inboxes []models.Inbox
}

// inboxForm is the inbox form; only these fields are read.
type inboxForm struct {
	Name    string `form:"name"`
	Channel string `form:"channel"`
	Address string `form:"address"`
	Active  string `form:"active"`
}

// channelOption is one channel in the form's select.
type channelOption struct {
	Value    string
	Selected bool
}

// inboxPage is the view model of the inbox form (ID 0: a new inbox).
type inboxPage struct {
	Base
	ID       int64
	Action   string
	Form     inboxForm
	Channels []channelOption
	InUse    bool // threads came through it: it can be deactivated, not deleted
	Errors   map[string]string
}

// showInboxes lists the inboxes by name.
func (h *Handler) showInboxes(c *fiber.Ctx) error {
	all, err := h.app.Stores.Inboxes.All(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/inboxes", inboxesPage{Base: h.base(c, "inbox_admin.title", "admin"), Inboxes: all})
}

// showInboxForm shows the empty form at /new, else the inbox's.
func (h *Handler) showInboxForm(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderInboxForm(c, 0, inboxForm{Channel: string(models.ChannelEmail), Active: "yes"}, nil)
	}
	in, err := h.inboxParam(c)
	if err != nil {
		return err
	}
	f := inboxForm{Name: in.Name, Channel: string(in.Channel), Address: in.Address}
	if in.Active {
		f.Active = "yes"
	}
	return h.renderInboxForm(c, in.ID, f, nil)
}

// saveInbox creates or updates an inbox; invalid input shows the form again.
func (h *Handler) saveInbox(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		in, err := h.inboxParam(c)
		if err != nil {
			return err
		}
		id = in.ID
	}
	var f inboxForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	in := models.InboxInput{Name: f.Name, Channel: models.Channel(f.Channel), Address: f.Address, Active: f.Active == "yes"}
	var err error
	if id == 0 {
		_, err = h.app.Stores.Inboxes.Add(c.UserContext(), in)
	} else {
		err = h.app.Stores.Inboxes.Update(c.UserContext(), id, in)
	}
	if err != nil {
		return h.renderInboxForm(c, id, f, err)
	}
	h.setFlash(c, "info", "flash.inbox_saved")
	return redirect(c, "/admin/inboxes")
}

func (h *Handler) renderInboxForm(c *fiber.Ctx, id int64, f inboxForm, failed error) error {
	vm := inboxPage{Base: h.base(c, "inbox_admin.form_title", "admin"), ID: id, Form: f, Action: "/admin/inboxes/new"}
	if id != 0 {
		vm.Action = "/admin/inboxes/" + strconv.FormatInt(id, 10)
		var err error
		if vm.InUse, err = h.app.Stores.Inboxes.InUse(c.UserContext(), id); err != nil {
			return err
		}
	}
	for _, ch := range models.Channels {
		vm.Channels = append(vm.Channels, channelOption{Value: string(ch), Selected: string(ch) == f.Channel})
	}
	var err error
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "name", "channel", "address", "active", "delete"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/inbox", vm)
}

// deleteInbox deletes an unused inbox once the confirmation box is ticked; one in use is
// refused with the advice to deactivate it.
func (h *Handler) deleteInbox(c *fiber.Ctx) error {
	in, err := h.inboxParam(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		h.setFlash(c, "error", "flash.modeladmin_delete_unconfirmed")
		return redirect(c, "/admin/inboxes/"+strconv.FormatInt(in.ID, 10))
	}
	if err := h.app.Stores.Inboxes.Delete(c.UserContext(), in.ID); err != nil {
		f := inboxForm{Name: in.Name, Channel: string(in.Channel), Address: in.Address}
		if in.Active {
			f.Active = "yes"
		}
		return h.renderInboxForm(c, in.ID, f, err)
	}
	h.setFlash(c, "info", "flash.inbox_deleted")
	return redirect(c, "/admin/inboxes")
}

// inboxParam loads the inbox named by :id (404 for anything else).
func (h *Handler) inboxParam(c *fiber.Ctx) (models.Inbox, error) {
	id, err := idParam(c)
	if err != nil {
		return models.Inbox{}, err
	}
	return h.app.Stores.Inboxes.ByID(c.UserContext(), id)
}
