package handlers

// Staff users (SPEC A-5 team admin): invite by e-mail, change name, role and teams, deactivate
// and reactivate. The e-mail address is the sign-in name and is set by the invitation only.
// Nobody can demote or deactivate the last active admin, nor themselves.

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// staffPageSize is how many staff users one page of the list shows.
const staffPageSize = 50

// staffRow is one staff user in the list.
type staffRow struct {
	models.StaffUser
	Teams []models.Team
}

// staffListPage is the view model of /admin/staff.
type staffListPage struct {
	Base
	Staff []staffRow
	First string // link to the first page, when this is not it
	Next  string // link to the next page, when there is one
}

// staffForm is the staff form; only these fields are read (the e-mail only when inviting).
type staffForm struct {
	Name  string   `form:"name"`
	Email string   `form:"email"`
	Role  string   `form:"role"`
	Teams []string `form:"teams"`
}

// teamOption is one team as a checkbox.
type teamOption struct {
	ID      int64
	Name    string
	Checked bool
}

// staffUserPage is the view model of a staff user's page (ID 0: the invitation form).
type staffUserPage struct {
	Base
	ID          int64
	Name        string // the saved name, for the heading
	Action      string
	Form        staffForm
	Teams       []teamOption
	Active      bool
	Pending     bool      // invited, no password chosen yet
	Self        bool      // the viewer's own account
	LastLoginAt time.Time // zero: never signed in
	Errors      map[string]string
}

// showStaffList shows one page of staff users by name with their teams.
func (h *Handler) showStaffList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
	users, more, err := h.app.Stores.Staff.StaffPage(ctx, after, staffPageSize)
	if errors.Is(err, models.ErrNotFound) {
		return redirect(c, "/admin/staff") // the cursor's user is gone: start over
	}
	if err != nil {
		return err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	teams, err := h.app.Stores.Staff.TeamsOf(ctx, ids)
	if err != nil {
		return err
	}
	vm := staffListPage{Base: h.base(c, "staff_admin.title", "admin")}
	for _, u := range users {
		vm.Staff = append(vm.Staff, staffRow{StaffUser: u, Teams: teams[u.ID]})
	}
	if after > 0 {
		vm.First = "/admin/staff"
	}
	if more {
		vm.Next = "/admin/staff?after=" + strconv.FormatInt(users[len(users)-1].ID, 10)
	}
	return h.render(c, fiber.StatusOK, "pages/admin/staff", vm)
}

// showStaffForm shows the invitation form at /new, else the staff user's page.
func (h *Handler) showStaffForm(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderStaffForm(c, models.StaffUser{}, staffForm{Role: string(models.RoleAgent)}, nil)
	}
	u, err := h.staffParam(c)
	if err != nil {
		return err
	}
	f, err := h.staffFormOf(c, u)
	if err != nil {
		return err
	}
	return h.renderStaffForm(c, u, f, nil)
}

// inviteStaff creates the account and e-mails the set-password link.
func (h *Handler) inviteStaff(c *fiber.Ctx) error {
	var f staffForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	teamIDs, ok := parseIDs(f.Teams)
	if !ok {
		return h.renderStaffForm(c, models.StaffUser{}, f, models.Invalid("teams", "error.staff_team_unknown"))
	}
	in := app.StaffInvite{Name: f.Name, Email: f.Email, Role: models.Role(f.Role), TeamIDs: teamIDs, Lang: h.lang(c)}
	u, err := h.app.InviteStaff(c.UserContext(), *h.viewer(c).Staff, in)
	if err != nil {
		return h.renderStaffForm(c, models.StaffUser{}, f, err)
	}
	h.setFlash(c, "info", "flash.staff_invited")
	return redirect(c, staffURL(u.ID))
}

// saveStaff changes a staff user's name, role and teams.
func (h *Handler) saveStaff(c *fiber.Ctx) error {
	u, err := h.staffParam(c)
	if err != nil {
		return err
	}
	var f staffForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	f.Email = u.Email
	teamIDs, ok := parseIDs(f.Teams)
	if !ok {
		return h.renderStaffForm(c, u, f, models.Invalid("teams", "error.staff_team_unknown"))
	}
	p := models.StaffProfile{Name: f.Name, Role: models.Role(f.Role), TeamIDs: teamIDs}
	if err := h.app.UpdateStaff(c.UserContext(), *h.viewer(c).Staff, u.ID, p); err != nil {
		return h.renderStaffForm(c, u, f, staffError(err, "role"))
	}
	h.setFlash(c, "info", "flash.staff_saved")
	return redirect(c, staffURL(u.ID))
}

// deactivateStaff stops a staff user from signing in and ends their sessions.
func (h *Handler) deactivateStaff(c *fiber.Ctx) error { return h.setStaffActive(c, false) }

// reactivateStaff lets a deactivated staff user sign in again.
func (h *Handler) reactivateStaff(c *fiber.Ctx) error { return h.setStaffActive(c, true) }

func (h *Handler) setStaffActive(c *fiber.Ctx, active bool) error {
	u, err := h.staffParam(c)
	if err != nil {
		return err
	}
	if err := h.app.SetStaffActive(c.UserContext(), *h.viewer(c).Staff, u.ID, active); err != nil {
		f, ferr := h.staffFormOf(c, u)
		if ferr != nil {
			return ferr
		}
		return h.renderStaffForm(c, u, f, staffError(err, "status"))
	}
	if active {
		h.setFlash(c, "info", "flash.staff_reactivated")
	} else {
		h.setFlash(c, "info", "flash.staff_deactivated")
	}
	return redirect(c, staffURL(u.ID))
}

// resendStaffInvite sends a fresh invitation to a staff user who has no password yet.
func (h *Handler) resendStaffInvite(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.app.ResendStaffInvite(c.UserContext(), *h.viewer(c).Staff, id, h.lang(c)); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.staff_invited")
	return redirect(c, staffURL(id))
}

// staffError turns the refusals of the last-admin and own-account rules into a validation
// error on field; other errors pass through.
func staffError(err error, field string) error {
	switch {
	case errors.Is(err, models.ErrLastAdmin):
		return models.Invalid(field, "error.staff_last_admin")
	case errors.Is(err, app.ErrOwnAccount):
		return models.Invalid(field, "error.staff_own_account")
	}
	return err
}

// staffFormOf fills the form from a saved staff user and their teams.
func (h *Handler) staffFormOf(c *fiber.Ctx, u models.StaffUser) (staffForm, error) {
	teams, err := h.app.Stores.Staff.TeamsOf(c.UserContext(), []int64{u.ID})
	if err != nil {
		return staffForm{}, err
	}
	f := staffForm{Name: u.Name, Email: u.Email, Role: string(u.Role)}
	for _, t := range teams[u.ID] {
		f.Teams = append(f.Teams, strconv.FormatInt(t.ID, 10))
	}
	return f, nil
}

func (h *Handler) renderStaffForm(c *fiber.Ctx, u models.StaffUser, f staffForm, failed error) error {
	teams, err := h.app.Stores.Staff.Teams(c.UserContext())
	if err != nil {
		return err
	}
	title := "staff_admin.invite_title"
	if u.ID != 0 {
		title = "staff_admin.user_title"
	}
	vm := staffUserPage{Base: h.base(c, title, "admin"), ID: u.ID, Name: u.Name, Form: f, Action: "/admin/staff/new",
		Active: u.Active, Pending: u.ID != 0 && u.PasswordHash == "", Self: u.ID != 0 && u.ID == h.viewer(c).Staff.ID}
	if u.ID != 0 {
		vm.Action = staffURL(u.ID)
	}
	if u.LastLoginAt != nil {
		vm.LastLoginAt = *u.LastLoginAt
	}
	for _, t := range teams {
		vm.Teams = append(vm.Teams, teamOption{ID: t.ID, Name: t.Name, Checked: slices.Contains(f.Teams, strconv.FormatInt(t.ID, 10))})
	}
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "name", "email", "role", "teams", "status"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/staff_user", vm)
}

// staffParam loads the staff user named by :id (404 for anything else).
func (h *Handler) staffParam(c *fiber.Ctx) (models.StaffUser, error) {
	id, err := idParam(c)
	if err != nil {
		return models.StaffUser{}, err
	}
	return h.app.Stores.Staff.ByID(c.UserContext(), id)
}

func staffURL(id int64) string { return "/admin/staff/" + strconv.FormatInt(id, 10) }
