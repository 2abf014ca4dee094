package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

func TestAdminStaffInviteAndEdit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores
		team, err := st.Staff.SaveTeam(ctx, 0, "Billing", nil)
		if err != nil {
			t.Fatal(err)
		}
		teamID := strconv.FormatInt(team.ID, 10)

		body := f.page("/admin/staff/new")
		if !strings.Contains(body, `id="staff-team-`+teamID+`"`) || !strings.Contains(body, `name="email"`) {
			t.Fatalf("invitation form:\n%s", body)
		}
		for _, tc := range []struct {
			name    string
			form    url.Values
			message string
		}{
			{"bad address", url.Values{"name": {"Cy"}, "email": {"cy at example"}, "role": {"agent"}}, "Enter a valid e-mail address."},
			{"taken address", url.Values{"name": {"Cy"}, "email": {"BOB@example.com"}, "role": {"agent"}}, "A staff user with this address already exists."},
			{"bad role", url.Values{"name": {"Cy"}, "email": {"cy@example.com"}, "role": {"root"}}, "Choose a valid role."},
			{"unknown team", url.Values{"name": {"Cy"}, "email": {"cy@example.com"}, "role": {"agent"}, "teams": {"999999"}}, "Choose teams from the list."},
			{"no name", url.Values{"name": {" "}, "email": {"cy@example.com"}, "role": {"agent"}}, "Enter your name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := f.post("/admin/staff/new", tc.form)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, `class="field-error"`) {
					t.Fatalf("status %d\n%s", resp.StatusCode, body)
				}
				if !strings.Contains(body, tc.message) {
					t.Fatalf("message %q missing:\n%s", tc.message, body)
				}
			})
		}
		if n := f.s.emailCount("cy@example.com"); n != 0 {
			t.Fatalf("%d e-mails sent for refused invitations", n)
		}

		// The invitation: no password, the teams, and an e-mail whose link comes from the
		// configured base URL whatever Host the admin's browser sent.
		form := url.Values{"name": {"Cy Young"}, "email": {"Cy@Example.com"}, "role": {"agent"}, "teams": {teamID},
			"password_hash": {"x"}, "active": {"false"}, CSRFField: {f.token}}
		resp := f.admin.do("POST", "/admin/staff/new", form, "Host", "evil.example", "X-Forwarded-Host", "evil.example")
		cy, err := st.Staff.ByEmail(ctx, "cy@example.com")
		if err != nil || cy.PasswordHash != "" || !cy.Active || cy.Role != models.RoleAgent || cy.Name != "Cy Young" {
			t.Fatalf("invited user = %+v, %v", cy, err)
		}
		f.wantRedirect(resp, staffURL(cy.ID))
		subject, text := f.s.lastEmail("cy@example.com")
		if subject != "You are invited to the Portico help desk" || !strings.Contains(text, "http://localhost:8080/staff/invite/") ||
			strings.Contains(text, "evil") || !strings.Contains(text, "ada invited you") {
			t.Fatalf("invitation e-mail %q:\n%s", subject, text)
		}
		body = f.page(staffURL(cy.ID))
		for _, want := range []string{"Invitation pending", `id="staff-reinvite"`, `value="` + teamID + `" checked`, `id="staff-deactivate"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("staff page lacks %s:\n%s", want, body)
			}
		}
		if body := f.page("/admin/staff"); !strings.Contains(body, "Cy Young") || !strings.Contains(body, "<td>Billing</td>") {
			t.Fatalf("list:\n%s", body)
		}

		// Sending again kills the first link.
		first := linkIn(t, text)
		resp, _ = f.post(staffURL(cy.ID)+"/invite", url.Values{})
		f.wantRedirect(resp, staffURL(cy.ID))
		if n := f.s.emailCount("cy@example.com"); n != 2 {
			t.Fatalf("%d invitation e-mails, want 2", n)
		}
		wantStatus(t, f.s.browser().get(first), http.StatusNotFound)
		resp, _ = f.post(staffURL(f.bob.ID)+"/invite", url.Values{})
		wantStatus(t, resp, http.StatusNotFound) // Bob has a password: nothing to resend

		// Edit: name, role and teams; the address and other fields are not read.
		resp, _ = f.post(staffURL(cy.ID), url.Values{"name": {"Cy"}, "role": {"admin"}, "email": {"other@example.com"}, "active": {"false"}})
		f.wantRedirect(resp, staffURL(cy.ID))
		got, _ := st.Staff.ByID(ctx, cy.ID)
		if got.Name != "Cy" || got.Role != models.RoleAdmin || got.Email != "cy@example.com" || !got.Active {
			t.Fatalf("after edit: %+v", got)
		}
		if teams, _ := st.Staff.TeamsOf(ctx, []int64{cy.ID}); len(teams[cy.ID]) != 0 {
			t.Fatal("unticked team kept")
		}
		resp, body = f.post(staffURL(cy.ID), url.Values{"name": {""}, "role": {"admin"}})
		f.wantFieldError(resp, body, "Enter your name")

		f.wantGuarded([]string{"/admin/staff", "/admin/staff/new", staffURL(cy.ID)}, map[string]url.Values{
			"/admin/staff/new":                 {"name": {"Eve"}, "email": {"eve@example.com"}, "role": {"admin"}},
			staffURL(f.bob.ID):                 {"name": {"Bob"}, "role": {"admin"}},
			staffURL(f.ada.ID) + "/deactivate": {},
			staffURL(cy.ID) + "/reactivate":    {},
			staffURL(cy.ID) + "/invite":        {},
		})
		if b, _ := st.Staff.ByID(ctx, f.bob.ID); b.Role != models.RoleAgent {
			t.Fatal("the agent promoted themselves")
		}
		if _, err := st.Staff.ByEmail(ctx, "eve@example.com"); err == nil {
			t.Fatal("a forged invitation created a user")
		}
		wantStatus(t, f.admin.get("/admin/staff/0"), http.StatusNotFound)
		wantStatus(t, f.admin.get("/admin/staff/999999"), http.StatusNotFound)
	})
}

func TestAdminStaffDeactivation(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		st := f.s.app.Stores

		// Deactivation ends Bob's session at once; he cannot sign in until reactivated.
		wantStatus(t, f.agent.get("/desk"), http.StatusOK)
		resp, _ := f.post(staffURL(f.bob.ID)+"/deactivate", url.Values{})
		f.wantRedirect(resp, staffURL(f.bob.ID))
		if n, _ := st.Sessions.CountForUser(ctx, models.KindStaff, f.bob.ID); n != 0 {
			t.Fatalf("%d sessions left after deactivation", n)
		}
		wantLoginRedirect(t, f.agent.get("/desk"))
		again := f.s.browser()
		again.login("bob@example.com", staffPassword)
		wantLoginRedirect(t, again.get("/desk"))
		if body := f.page(staffURL(f.bob.ID)); !strings.Contains(body, `id="staff-reactivate"`) || !strings.Contains(body, "Deactivated") {
			t.Fatalf("page of a deactivated user:\n%s", body)
		}
		resp, _ = f.post(staffURL(f.bob.ID)+"/reactivate", url.Values{})
		f.wantRedirect(resp, staffURL(f.bob.ID))
		wantStatus(t, again.login("bob@example.com", staffPassword), http.StatusSeeOther)
		wantStatus(t, again.get("/desk"), http.StatusOK)

		// Ada cannot deactivate or demote herself, even by a forged form.
		body := f.page(staffURL(f.ada.ID))
		if strings.Contains(body, `id="staff-deactivate"`) || !strings.Contains(body, `id="staff-role-agent" name="role" type="radio" value="agent" disabled`) {
			t.Fatalf("own page offers self-deactivation or demotion:\n%s", body)
		}
		resp, body = f.post(staffURL(f.ada.ID)+"/deactivate", url.Values{})
		f.wantFieldError(resp, body, "You cannot do this to your own account")
		resp, body = f.post(staffURL(f.ada.ID), url.Values{"name": {"Ada"}, "role": {"agent"}})
		f.wantFieldError(resp, body, "You cannot do this to your own account")
		resp, _ = f.post(staffURL(f.ada.ID), url.Values{"name": {"Ada L."}, "role": {"admin"}})
		f.wantRedirect(resp, staffURL(f.ada.ID))
		if a, _ := st.Staff.ByID(ctx, f.ada.ID); !a.Active || a.Role != models.RoleAdmin || a.Name != "Ada L." {
			t.Fatalf("ada = %+v", a)
		}
	})
}

// TestAdminStaffLastAdmin: two admins demote (or deactivate) each other at the same moment.
// One wins; the other is told it would leave no admin; an active admin always remains.
func TestAdminStaffLastAdmin(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newTestServer(t, db, testConfig(t))
		ctx := context.Background()
		for round, action := range []string{"demote", "deactivate", "demote"} {
			a, _ := s.staff(models.RoleAdmin, fmt.Sprintf("a%d@example.com", round))
			b, _ := s.staff(models.RoleAdmin, fmt.Sprintf("b%d@example.com", round))
			// The earlier rounds' survivor steps aside, so a and b are the only active admins.
			if round > 0 {
				if err := db.Gorm.Exec("UPDATE staff_users SET active = ? WHERE id NOT IN (?, ?)", false, a.ID, b.ID).Error; err != nil {
					t.Fatal(err)
				}
			}
			users := []models.StaffUser{a, b}
			browsers := make([]*browser, 2)
			tokens := make([]string, 2)
			for i, u := range users {
				browsers[i] = s.browser()
				wantStatus(t, browsers[i].login(u.Email, staffPassword), http.StatusSeeOther)
				tokens[i] = browsers[i].csrf("/admin")
			}
			codes, wonAt := make([]int, 2), make([]string, 2)
			var wg sync.WaitGroup
			for i := range users {
				target := users[1-i]
				path, form := staffURL(target.ID), url.Values{"name": {target.Name}, "role": {"agent"}}
				if action == "deactivate" {
					path, form = staffURL(target.ID)+"/deactivate", url.Values{}
				}
				form.Set(CSRFField, tokens[i])
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					resp := browsers[i].do("POST", path, form)
					resp.Body.Close()
					codes[i], wonAt[i] = resp.StatusCode, resp.Header.Get("Location")
				}(i)
			}
			wg.Wait()
			// The loser is refused by the last-admin rule (200, the form with the message) or,
			// when the winner committed before its request was even read, by its own lost role
			// or session (403, or 303 to the sign-in page).
			wins := 0
			for i, c := range codes {
				if c == http.StatusSeeOther && wonAt[i] == staffURL(users[1-i].ID) {
					wins++
				}
			}
			t.Logf("round %d (%s): statuses %v", round, action, codes)
			n, err := s.app.Stores.Staff.CountAdmins(ctx)
			if err != nil || n != 1 || wins != 1 {
				t.Fatalf("round %d (%s): statuses %v, %d active admins (%v); want exactly one winner and one admin left", round, action, codes, n, err)
			}
		}
	})
}

func TestAdminStaffListPages(t *testing.T) {
	t.Parallel()
	f := newAdminModelFixture(t, dbtest.SQLite(t))
	ctx := context.Background()
	for i := range staffPageSize {
		u := models.StaffUser{Email: fmt.Sprintf("user%02d@example.com", i), Name: fmt.Sprintf("user %02d", i),
			Role: models.RoleAgent, PasswordHash: "x", Active: true}
		if err := f.s.app.Stores.Staff.Create(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	first := f.page("/admin/staff")
	if strings.Count(first, `<td><a href="/admin/staff/`) != staffPageSize || strings.Contains(first, "user 49") {
		t.Fatalf("first page should hold %d users, Ada and Bob first", staffPageSize)
	}
	m := strings.SplitN(first, `/admin/staff?after=`, 2)
	if len(m) != 2 {
		t.Fatal("no link to the next page")
	}
	next := "/admin/staff?after=" + m[1][:strings.IndexByte(m[1], '"')]
	second := f.page(next)
	if !strings.Contains(second, "user 49") || strings.Contains(second, "user 00") || strings.Contains(second, "after=") ||
		!strings.Contains(second, `href="/admin/staff">First page`) {
		t.Fatalf("second page:\n%s", second)
	}
	wantStatus(t, f.admin.get("/admin/staff?after=999999"), http.StatusSeeOther)
}
