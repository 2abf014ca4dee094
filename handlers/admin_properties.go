package handlers

// Custom ticket properties (SPEC D-10): the definitions agents fill in on the desk. A key is
// chosen once, when the property is created, because ticket values are stored under it.

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// propertiesPage is the view model of /admin/properties.
type propertiesPage struct {
	Base
	Properties []models.TicketPropertyDef
}

// propertyForm is the property form; only these fields are read (the key only on creation).
type propertyForm struct {
	Key      string `form:"key"`
	Label    string `form:"label"`
	Kind     string `form:"kind"`
	Options  string `form:"options"` // one choice per line
	Position string `form:"position"`
}

// kindOption is one kind in the form's select.
type kindOption struct {
	Value    string
	Selected bool
}

// propertyPage is the view model of the property form (ID 0: a new property).
type propertyPage struct {
	Base
	ID     int64
	Action string
	Form   propertyForm
	Kinds  []kindOption
	Errors map[string]string
}

// showProperties lists the property definitions in display order.
func (h *Handler) showProperties(c *fiber.Ctx) error {
	defs, err := h.app.Stores.Properties.All(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/properties", propertiesPage{Base: h.base(c, "property_admin.title", "admin"), Properties: defs})
}

// showPropertyForm shows the empty form at /new, else the property's.
func (h *Handler) showPropertyForm(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderPropertyForm(c, 0, propertyForm{Kind: string(models.KindText), Position: "0"}, nil)
	}
	d, err := h.propertyParam(c)
	if err != nil {
		return err
	}
	f := propertyForm{Key: d.Key, Label: d.Label, Kind: d.Kind, Options: strings.Join(d.Options, "\n"), Position: strconv.Itoa(d.Position)}
	return h.renderPropertyForm(c, d.ID, f, nil)
}

// saveProperty creates or updates a property definition; invalid input shows the form again.
func (h *Handler) saveProperty(c *fiber.Ctx) error {
	var saved models.TicketPropertyDef
	if c.Params("id") != "" {
		var err error
		if saved, err = h.propertyParam(c); err != nil {
			return err
		}
	}
	var f propertyForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	pos, perr := strconv.Atoi(strings.TrimSpace(f.Position))
	if perr != nil && strings.TrimSpace(f.Position) != "" {
		return h.renderPropertyForm(c, saved.ID, h.keepKey(f, saved), models.Invalid("position", "error.property_position"))
	}
	in := models.PropertyInput{Key: f.Key, Label: f.Label, Kind: models.PropertyKind(f.Kind),
		Options: strings.Split(strings.ReplaceAll(f.Options, "\r\n", "\n"), "\n"), Position: pos}
	var err error
	if saved.ID == 0 {
		saved, err = h.app.Stores.Properties.Create(c.UserContext(), in)
	} else {
		err = h.app.Stores.Properties.Update(c.UserContext(), saved.ID, in)
	}
	if err != nil {
		return h.renderPropertyForm(c, saved.ID, h.keepKey(f, saved), err)
	}
	h.setFlash(c, "info", "flash.property_saved")
	return redirect(c, "/admin/properties")
}

// keepKey shows a saved property's own key, whatever the request said: the key never changes.
func (h *Handler) keepKey(f propertyForm, saved models.TicketPropertyDef) propertyForm {
	if saved.ID != 0 {
		f.Key = saved.Key
	}
	return f
}

func (h *Handler) renderPropertyForm(c *fiber.Ctx, id int64, f propertyForm, failed error) error {
	vm := propertyPage{Base: h.base(c, "property_admin.form_title", "admin"), ID: id, Form: f, Action: "/admin/properties/new"}
	if id != 0 {
		vm.Action = "/admin/properties/" + strconv.FormatInt(id, 10)
	}
	for _, k := range models.PropertyKinds {
		vm.Kinds = append(vm.Kinds, kindOption{Value: string(k), Selected: string(k) == f.Kind})
	}
	var err error
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "key", "label", "kind", "options", "position"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/property", vm)
}

// deleteProperty deletes a definition once the confirmation box is ticked; stages stop
// requiring it.
func (h *Handler) deleteProperty(c *fiber.Ctx) error {
	d, err := h.propertyParam(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		h.setFlash(c, "error", "flash.modeladmin_delete_unconfirmed")
		return redirect(c, "/admin/properties/"+strconv.FormatInt(d.ID, 10))
	}
	if err := h.app.Stores.Properties.Delete(c.UserContext(), d.ID); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.property_deleted")
	return redirect(c, "/admin/properties")
}

// propertyParam loads the definition named by :id (404 for anything else).
func (h *Handler) propertyParam(c *fiber.Ctx) (models.TicketPropertyDef, error) {
	id, err := idParam(c)
	if err != nil {
		return models.TicketPropertyDef{}, err
	}
	return h.app.Stores.Properties.ByID(c.UserContext(), id)
}
