package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

func TestAdminTeams(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores
		gone, _ := f.s.staff(models.RoleAgent, "gone@example.com")
		if err := st.Staff.SetActive(ctx, gone.ID, false); err != nil {
			t.Fatal(err)
		}

		body := f.page("/admin/teams/new")
		if !strings.Contains(body, `id="team-member-`+strconv.FormatInt(f.bob.ID, 10)+`"`) || strings.Contains(body, "gone@example.com") {
			t.Fatalf("member checkboxes should list the active staff only:\n%s", body)
		}
		bob, ada := strconv.FormatInt(f.bob.ID, 10), strconv.FormatInt(f.ada.ID, 10)
		resp, body := f.post("/admin/teams/new", url.Values{"name": {""}, "members": {bob}})
		f.wantFieldError(resp, body, "Enter a team name of at most 80 characters.")
		if !strings.Contains(body, `value="`+bob+`" checked`) {
			t.Fatal("the failed form lost its ticked members")
		}
		resp, body = f.post("/admin/teams/new", url.Values{"name": {"Billing"}, "members": {strconv.FormatInt(gone.ID, 10)}})
		f.wantFieldError(resp, body, "Choose members from the list of active staff users.")
		resp, body = f.post("/admin/teams/new", url.Values{"name": {"Billing"}, "members": {"x"}})
		f.wantFieldError(resp, body, "Choose members from the list of active staff users.")
		resp, _ = f.post("/admin/teams/new", url.Values{"name": {"Billing"}, "members": {bob, ada}})
		f.wantRedirect(resp, "/admin/teams")
		resp, body = f.post("/admin/teams/new", url.Values{"name": {"Billing"}})
		f.wantFieldError(resp, body, "Another team already has this name.")

		team, err := st.Staff.TeamByName(ctx, "Billing")
		if err != nil {
			t.Fatal(err)
		}
		if body := f.page("/admin/teams"); !strings.Contains(body, ">Billing</a></td>\n      <td>2</td>") {
			t.Fatalf("list:\n%s", body)
		}
		tURL := "/admin/teams/" + strconv.FormatInt(team.ID, 10)
		resp, _ = f.post(tURL, url.Values{"name": {"Billing and refunds"}, "members": {bob}})
		f.wantRedirect(resp, "/admin/teams")
		if ids, _ := st.Staff.TeamMemberIDs(ctx, team.ID); !slices.Equal(ids, []int64{f.bob.ID}) {
			t.Fatalf("members after edit = %v", ids)
		}
		if body := f.page(tURL); !strings.Contains(body, `value="Billing and refunds"`) || !strings.Contains(body, `value="`+bob+`" checked`) {
			t.Fatalf("edit page:\n%s", body)
		}

		f.wantGuarded([]string{"/admin/teams", "/admin/teams/new", tURL}, map[string]url.Values{
			"/admin/teams/new": {"name": {"Forged"}},
			tURL:               {"name": {"Forged"}},
			tURL + "/delete":   {"confirm": {"yes"}},
		})
		if got, _ := st.Staff.TeamByID(ctx, team.ID); got.Name != "Billing and refunds" {
			t.Fatalf("a refused request changed the team: %+v", got)
		}
		resp, _ = f.post(tURL+"/delete", url.Values{"confirm": {"yes"}})
		f.wantRedirect(resp, "/admin/teams")
		wantStatus(t, f.admin.get(tURL), http.StatusNotFound)
	})
}
