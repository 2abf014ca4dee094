package handlers

// The admin's contact lists (SPEC A-5): static lists, whose members the admin chooses (added
// by an e-mail or name search, removed one by one), and active lists, whose members are the
// contacts matching a rule now. Lists serve as portal access lists and SSO audiences: adding a
// contact to an access list sends their set-password invitation.

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// listFindLimit is how many contacts an add-members search shows.
const listFindLimit = 20

// blankConditionRows is how many empty condition rows the rule editor offers.
const blankConditionRows = 2

// listsPage is the view model of the list index.
type listsPage struct {
	Base
	Lists []models.ListSummary
}

// showAdminLists lists every contact list with its number of members.
func (h *Handler) showAdminLists(c *fiber.Ctx) error {
	lists, err := h.app.Stores.Contacts.Lists(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/lists", listsPage{Base: h.base(c, "lists.title", "admin"), Lists: lists})
}

// listForm is the list form; only these fields are read. The condition columns line up: row i
// is Field[i], Key[i], Op[i], Value[i].
type listForm struct {
	Name  string   `form:"name"`
	Kind  string   `form:"kind"`
	Field []string `form:"cond_field"`
	Key   []string `form:"cond_key"`
	Op    []string `form:"cond_op"`
	Value []string `form:"cond_value"`
}

func listCell(s []string, i int) string {
	if i < len(s) {
		return strings.TrimSpace(s[i])
	}
	return ""
}

// conditions reads the rule editor's rows; a row without key and value is skipped, and the
// values of "is any of" are separated by commas.
func (f listForm) conditions() []models.ListCondition {
	var out []models.ListCondition
	for i := range f.Field {
		cond := models.ListCondition{Field: listCell(f.Field, i), Key: listCell(f.Key, i), Op: listCell(f.Op, i)}
		value := listCell(f.Value, i)
		if value == "" && cond.Key == "" {
			continue
		}
		if cond.Field != models.RuleProperty {
			cond.Key = ""
		}
		if cond.Op == models.OpAnyOf {
			for _, v := range strings.Split(value, ",") {
				if v = strings.TrimSpace(v); v != "" {
					cond.Values = append(cond.Values, v)
				}
			}
		} else {
			cond.Values = []string{value}
		}
		out = append(out, cond)
	}
	return out
}

// listFormOf fills the form with a stored list.
func listFormOf(l models.ContactList) listForm {
	f := listForm{Name: l.Name, Kind: string(l.Kind)}
	for _, c := range l.ParsedRule().Conditions {
		f.Field = append(f.Field, c.Field)
		f.Key = append(f.Key, c.Key)
		f.Op = append(f.Op, c.Op)
		f.Value = append(f.Value, strings.Join(c.Values, ", "))
	}
	return f
}

// ruleOption is one choice of a select.
type ruleOption struct {
	Value, Label string
	Selected     bool
}

// conditionRow is one row of the rule editor.
type conditionRow struct {
	Index      int
	Key, Value string
	Fields     []ruleOption
	Ops        []ruleOption
}

// listPage is the view model of the list page: the form and, for a list that exists, its
// members a page at a time and the add-members search.
type listPage struct {
	Base
	ID         int64 // 0 for a new list
	Action     string
	Form       listForm
	IsActive   bool // an active list (or, for a new list, the active kind is chosen)
	Conditions []conditionRow
	Errors     map[string]string
	Members    []models.ContactRow
	Pager      adminPager
	Query      string // filter of the members
	Find       string // the add-members search
	Found      []models.ContactRow
	Searched   bool
}

// conditionRows builds the rule editor: the form's rows, then blank ones up to the limit.
func conditionRows(b Base, f listForm) []conditionRow {
	var rows []conditionRow
	n := min(len(f.Field)+blankConditionRows, models.MaxRuleConditions)
	for i := range n {
		r := conditionRow{Index: i + 1, Key: listCell(f.Key, i), Value: listCell(f.Value, i)}
		field, op := listCell(f.Field, i), listCell(f.Op, i)
		for _, fl := range models.RuleFields() {
			r.Fields = append(r.Fields, ruleOption{Value: fl, Label: b.T("lists.rulefield." + fl), Selected: fl == field})
		}
		for _, o := range models.RuleOps() {
			r.Ops = append(r.Ops, ruleOption{Value: o, Label: b.T("lists.ruleop." + o), Selected: o == op})
		}
		rows = append(rows, r)
	}
	return rows
}

// showList shows the empty form at /new, else the list's form and members.
func (h *Handler) showList(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderList(c, models.ContactList{}, listForm{Kind: string(models.ListStatic)}, nil)
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	l, err := h.app.Stores.Contacts.ListByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return h.renderList(c, l, listFormOf(l), nil)
}

// saveList creates or updates a list; invalid input shows the form again.
func (h *Handler) saveList(c *fiber.Ctx) error {
	var saved models.ContactList
	if c.Params("id") != "" {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		if saved, err = h.app.Stores.Contacts.ListByID(c.UserContext(), id); err != nil {
			return err
		}
	}
	var f listForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	l, err := h.app.SaveList(c.UserContext(), saved.ID, app.ListInput{Name: f.Name, Kind: models.ListKind(f.Kind), Conditions: f.conditions()})
	if err != nil {
		return h.renderList(c, saved, f, err)
	}
	h.setFlash(c, "info", "flash.lists_saved")
	return redirect(c, "/admin/lists/"+strconv.FormatInt(l.ID, 10))
}

func (h *Handler) renderList(c *fiber.Ctx, l models.ContactList, f listForm, failed error) error {
	ctx := c.UserContext()
	vm := listPage{Base: h.base(c, "lists.new.title", "admin"), ID: l.ID, Form: f, Action: "/admin/lists/new",
		IsActive: f.Kind == string(models.ListActive)}
	if l.ID != 0 {
		vm.Title, vm.Action, vm.IsActive = l.Name, "/admin/lists/"+strconv.FormatInt(l.ID, 10), l.Kind == models.ListActive
	}
	vm.Conditions = conditionRows(vm.Base, f)
	var err error
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "name", "kind", "rule", "members"); err != nil {
		return err
	}
	if l.ID == 0 {
		return h.render(c, fiber.StatusOK, "pages/admin/list", vm)
	}
	vm.Query, vm.Find = strings.TrimSpace(c.Query("q")), strings.TrimSpace(c.Query("find"))
	page, err := h.app.Stores.Contacts.Search(ctx, models.ContactQuery{List: &l, Search: vm.Query,
		After: c.Query("after"), Before: c.Query("before")})
	if err != nil {
		return err
	}
	vm.Members = page.Rows
	filters := url.Values{"q": {vm.Query}}
	vm.Pager = adminPager{Prev: adminPageLink(vm.Action, filters, "before", page.PrevCursor), Next: adminPageLink(vm.Action, filters, "after", page.NextCursor)}
	if vm.Find != "" && !vm.IsActive {
		found, err := h.app.Stores.Contacts.Search(ctx, models.ContactQuery{Search: vm.Find, Limit: listFindLimit})
		if err != nil {
			return err
		}
		vm.Found, vm.Searched = found.Rows, true
	}
	return h.render(c, fiber.StatusOK, "pages/admin/list", vm)
}

// deleteList deletes a list once the confirmation box is ticked; its contacts stay.
func (h *Handler) deleteList(c *fiber.Ctx) error {
	return h.deleteConfirmed(c, deletion{
		exists: func(ctx context.Context, id int64) error {
			_, err := h.app.Stores.Contacts.ListByID(ctx, id)
			return err
		},
		remove: h.app.Stores.Contacts.DeleteList, page: "/admin/lists/", done: "/admin/lists",
		unconfirmed: "flash.lists_delete_unconfirmed", deleted: "flash.lists_deleted"})
}

// chosenContactIDs reads the ticked contact_id boxes; anything not a positive number is dropped.
func chosenContactIDs(c *fiber.Ctx) []int64 {
	var form struct {
		IDs []string `form:"contact_id"`
	}
	if err := c.BodyParser(&form); err != nil {
		return nil
	}
	var out []int64
	for _, s := range form.IDs {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// addListMembers puts the ticked contacts on a static list; members of a portal access list
// who have no password get their invitation.
func (h *Handler) addListMembers(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	l, err := h.app.Stores.Contacts.ListByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	ids := chosenContactIDs(c)
	if len(ids) == 0 {
		h.setFlash(c, "error", "flash.lists_none_chosen")
		return redirect(c, "/admin/lists/"+strconv.FormatInt(id, 10))
	}
	if _, _, err := h.app.AddListMembers(c.UserContext(), id, ids); err != nil {
		return h.renderList(c, l, listFormOf(l), err)
	}
	h.setFlash(c, "info", "flash.lists_members_added")
	return redirect(c, "/admin/lists/"+strconv.FormatInt(id, 10))
}

// removeListMembers takes the chosen contacts off a static list.
func (h *Handler) removeListMembers(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	l, err := h.app.Stores.Contacts.ListByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.app.RemoveListMembers(c.UserContext(), id, chosenContactIDs(c)); err != nil {
		return h.renderList(c, l, listFormOf(l), err)
	}
	h.setFlash(c, "info", "flash.lists_members_removed")
	return redirect(c, "/admin/lists/"+strconv.FormatInt(id, 10))
}
