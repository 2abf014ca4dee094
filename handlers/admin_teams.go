package handlers

// Teams (SPEC D-4): named groups of staff for routing and assignment. Members are chosen from
// the active staff with checkboxes.

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// teamsPage is the view model of /admin/teams.
type teamsPage struct {
	Base
	Teams []models.TeamSummary
}

// teamForm is the team form; only these fields are read.
type teamForm struct {
	Name    string   `form:"name"`
	Members []string `form:"members"`
}

// memberOption is one staff user as a checkbox.
type memberOption struct {
	ID      int64
	Name    string
	Email   string
	Checked bool
}

// teamPage is the view model of the team form (ID 0: a new team).
type teamPage struct {
	Base
	ID      int64
	Action  string
	Form    teamForm
	Members []memberOption
	Errors  map[string]string
}

// showTeams lists the teams with their member counts.
func (h *Handler) showTeams(c *fiber.Ctx) error {
	teams, err := h.app.Stores.Staff.TeamsWithCounts(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/teams", teamsPage{Base: h.base(c, "team_admin.title", "admin"), Teams: teams})
}

// showTeamForm shows the empty form at /new, else the team's with its members ticked.
func (h *Handler) showTeamForm(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderTeamForm(c, 0, teamForm{}, nil)
	}
	t, err := h.teamParam(c)
	if err != nil {
		return err
	}
	ids, err := h.app.Stores.Staff.TeamMemberIDs(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	f := teamForm{Name: t.Name}
	for _, id := range ids {
		f.Members = append(f.Members, strconv.FormatInt(id, 10))
	}
	return h.renderTeamForm(c, t.ID, f, nil)
}

// saveTeam creates or updates a team with exactly the ticked members.
func (h *Handler) saveTeam(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		t, err := h.teamParam(c)
		if err != nil {
			return err
		}
		id = t.ID
	}
	var f teamForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	ids, ok := parseIDs(f.Members)
	if !ok {
		return h.renderTeamForm(c, id, f, models.Invalid("members", "error.team_member_unknown"))
	}
	if _, err := h.app.Stores.Staff.SaveTeam(c.UserContext(), id, f.Name, ids); err != nil {
		return h.renderTeamForm(c, id, f, err)
	}
	h.setFlash(c, "info", "flash.team_saved")
	return redirect(c, "/admin/teams")
}

func (h *Handler) renderTeamForm(c *fiber.Ctx, id int64, f teamForm, failed error) error {
	staff, err := h.app.Stores.Staff.Active(c.UserContext())
	if err != nil {
		return err
	}
	vm := teamPage{Base: h.base(c, "team_admin.form_title", "admin"), ID: id, Form: f, Action: "/admin/teams/new"}
	if id != 0 {
		vm.Action = "/admin/teams/" + strconv.FormatInt(id, 10)
	}
	for _, u := range staff {
		vm.Members = append(vm.Members, memberOption{ID: u.ID, Name: u.Name, Email: u.Email,
			Checked: slices.Contains(f.Members, strconv.FormatInt(u.ID, 10))})
	}
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "name", "members"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/team", vm)
}

// deleteTeam deletes a team once the confirmation box is ticked; its tickets keep no team.
func (h *Handler) deleteTeam(c *fiber.Ctx) error {
	t, err := h.teamParam(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		h.setFlash(c, "error", "flash.modeladmin_delete_unconfirmed")
		return redirect(c, "/admin/teams/"+strconv.FormatInt(t.ID, 10))
	}
	if err := h.app.Stores.Staff.DeleteTeam(c.UserContext(), t.ID); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.team_deleted")
	return redirect(c, "/admin/teams")
}

// teamParam loads the team named by :id (404 for anything else).
func (h *Handler) teamParam(c *fiber.Ctx) (models.Team, error) {
	id, err := idParam(c)
	if err != nil {
		return models.Team{}, err
	}
	return h.app.Stores.Staff.TeamByID(c.UserContext(), id)
}

// parseIDs reads checkbox values as positive ids; anything else makes ok false.
func parseIDs(values []string) (ids []int64, ok bool) {
	for _, v := range values {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}
