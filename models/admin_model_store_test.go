package models_test

// Stores behind the admin pages of the ticket model and the team (SPEC D-10, A-5): pipelines
// and stages, property definitions, staff, teams, inboxes and staff tokens, on both engines.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// wantInvalid fails unless err is a ValidationError on field with code.
func wantInvalid(t *testing.T, err error, field, code string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Field != field || ve.Code != code {
		t.Fatalf("err = %v, want invalid %s (%s)", err, field, code)
	}
}

func TestTicketPropertyDefValidate(t *testing.T) {
	t.Parallel()
	def := func(kind string, opts ...string) models.TicketPropertyDef {
		return models.TicketPropertyDef{Key: "k", Kind: kind, Options: opts}
	}
	cases := []struct {
		name  string
		def   models.TicketPropertyDef
		value string
		code  string // "" = valid
	}{
		{"empty is always allowed", def("number"), "", ""},
		{"text", def("text"), "hello", ""},
		{"text on two lines", def("text"), "a\nb", "error.property_value_text"},
		{"text too long", def("text"), strings.Repeat("x", 501), "error.property_value_text"},
		{"textarea with lines", def("textarea"), "a\nb", ""},
		{"textarea too long", def("textarea"), strings.Repeat("x", 5001), "error.property_value_textarea"},
		{"select option", def("select", "Bug", "Question"), "Question", ""},
		{"select other", def("select", "Bug"), "bug", "error.property_value_select"},
		{"number integer", def("number"), "42", ""},
		{"number decimal", def("number"), "-3.5", ""},
		{"number text", def("number"), "forty", "error.property_value_number"},
		{"number infinite", def("number"), "Inf", "error.property_value_number"},
		{"date", def("date"), "2026-02-28", ""},
		{"date impossible", def("date"), "2026-02-30", "error.property_value_date"},
		{"date other format", def("date"), "28/02/2026", "error.property_value_date"},
		{"checkbox ticked", def("checkbox"), "true", ""},
		{"checkbox unticked", def("checkbox"), "false", ""},
		{"checkbox other", def("checkbox"), "yes", "error.property_value_checkbox"},
		{"unknown kind", def("colour"), "red", "error.property_kind"},
		{"invalid UTF-8", def("text"), "\xff", "error.property_value_text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.def.Validate(tc.value)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want nil", tc.value, err)
				}
				return
			}
			wantInvalid(t, err, "k", tc.code)
		})
	}
}

func TestPropertyDefStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		in := models.PropertyInput{Key: "resolution", Label: "Resolution", Kind: models.KindSelect,
			Options: []string{" Fixed ", "", "Won't fix"}, Position: 2}
		res, err := s.Properties.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Options, models.Strings{"Fixed", "Won't fix"}) {
			t.Fatalf("options = %q", res.Options)
		}
		if _, err := s.Properties.Create(ctx, models.PropertyInput{Key: "order_no", Label: "Order", Kind: models.KindNumber,
			Options: []string{"ignored"}, Position: 1}); err != nil {
			t.Fatal(err)
		}
		all, err := s.Properties.All(ctx)
		if err != nil || len(all) != 2 || all[0].Key != "order_no" || all[1].Key != "resolution" || len(all[0].Options) != 0 {
			t.Fatalf("All = %+v, %v", all, err)
		}

		for _, tc := range []struct {
			name        string
			in          models.PropertyInput
			field, code string
		}{
			{"taken key", models.PropertyInput{Key: "resolution", Label: "x", Kind: models.KindText}, "key", "error.property_key_taken"},
			{"built-in key", models.PropertyInput{Key: "category", Label: "x", Kind: models.KindText}, "key", "error.property_key_taken"},
			{"key with a capital", models.PropertyInput{Key: "Resolution", Label: "x", Kind: models.KindText}, "key", "error.property_key"},
			{"key starting with a digit", models.PropertyInput{Key: "1st", Label: "x", Kind: models.KindText}, "key", "error.property_key"},
			{"key too long", models.PropertyInput{Key: strings.Repeat("a", 41), Label: "x", Kind: models.KindText}, "key", "error.property_key"},
			{"no label", models.PropertyInput{Key: "a", Label: " ", Kind: models.KindText}, "label", "error.property_label"},
			{"unknown kind", models.PropertyInput{Key: "a", Label: "x", Kind: "colour"}, "kind", "error.property_kind"},
			{"select without options", models.PropertyInput{Key: "a", Label: "x", Kind: models.KindSelect, Options: []string{" "}}, "options", "error.property_options_count"},
			{"duplicate option", models.PropertyInput{Key: "a", Label: "x", Kind: models.KindSelect, Options: []string{"A", "A"}}, "options", "error.property_option_duplicate"},
			{"negative position", models.PropertyInput{Key: "a", Label: "x", Kind: models.KindText, Position: -1}, "position", "error.property_position"},
		} {
			_, err := s.Properties.Create(ctx, tc.in)
			wantInvalid(t, err, tc.field, tc.code)
		}

		// The key never changes; label, kind and options do.
		err = s.Properties.Update(ctx, res.ID, models.PropertyInput{Key: "renamed", Label: "How it ended", Kind: models.KindText, Options: []string{"x"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Properties.ByID(ctx, res.ID)
		if err != nil || got.Key != "resolution" || got.Label != "How it ended" || got.Kind != "text" || len(got.Options) != 0 {
			t.Fatalf("after update: %+v, %v", got, err)
		}
		if err := s.Properties.Update(ctx, 999999, models.PropertyInput{Label: "x", Kind: models.KindText}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("update of a missing definition: %v", err)
		}

		// Deleting a definition takes its key off the stages that required it.
		p := seedPipeline(t, s)
		st, err := s.Pipelines.AddStage(ctx, p.ID, models.StageInput{Name: "Done", IsClosed: true, RequiredProperties: []string{"resolution", "category"}})
		if err != nil || !slices.Equal(st.RequiredProperties, models.Strings{"category", "resolution"}) {
			t.Fatalf("AddStage = %+v, %v", st, err)
		}
		if err := s.Properties.Delete(ctx, res.ID); err != nil {
			t.Fatal(err)
		}
		p, _ = s.Pipelines.ByID(ctx, p.ID)
		if last := p.Stages[len(p.Stages)-1]; !slices.Equal(last.RequiredProperties, models.Strings{"category"}) {
			t.Fatalf("stage still requires %q after the property was deleted", last.RequiredProperties)
		}
		if err := s.Properties.Delete(ctx, res.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

// ticketIn creates a ticket in a stage of p.
func ticketIn(t *testing.T, s *models.Stores, p models.Pipeline, stage models.PipelineStage) models.Ticket {
	t.Helper()
	now := time.Now().UTC()
	tk := models.Ticket{Subject: "s", PipelineID: p.ID, StageID: stage.ID, IsClosed: stage.IsClosed,
		SourceChannel: models.ChannelPortal, CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
	if err := s.Tickets.Create(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestPipelineAdminStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		first, err := s.Pipelines.Add(ctx, models.NewPipeline{Name: "Support", OpenStage: "New", ClosedStage: "Solved"})
		if err != nil || !first.IsDefault || len(first.Stages) != 2 || !first.Stages[1].IsClosed {
			t.Fatalf("first pipeline = %+v, %v (the first one is the default)", first, err)
		}
		_, err = s.Pipelines.Add(ctx, models.NewPipeline{Name: "Support", OpenStage: "a", ClosedStage: "b"})
		wantInvalid(t, err, "name", "error.pipeline_name_taken")
		_, err = s.Pipelines.Add(ctx, models.NewPipeline{Name: "Sales", OpenStage: "a", ClosedStage: " "})
		wantInvalid(t, err, "closed_stage", "error.stage_name")
		_, err = s.Pipelines.Add(ctx, models.NewPipeline{Name: strings.Repeat("x", 81), OpenStage: "a", ClosedStage: "b"})
		wantInvalid(t, err, "name", "error.pipeline_name")

		// A new default takes the flag over: exactly one default at any time.
		sales, err := s.Pipelines.Add(ctx, models.NewPipeline{Name: "Sales", OpenStage: "Lead", ClosedStage: "Won", IsDefault: true})
		if err != nil {
			t.Fatal(err)
		}
		def, err := s.Pipelines.Default(ctx)
		if err != nil || def.ID != sales.ID {
			t.Fatalf("default = %+v, %v", def, err)
		}
		// The default cannot be unmarked, only replaced.
		wantInvalid(t, s.Pipelines.Update(ctx, sales.ID, "Sales", false), "is_default", "error.pipeline_default_required")
		if err := s.Pipelines.Update(ctx, first.ID, "Customer support", true); err != nil {
			t.Fatal(err)
		}
		all, err := s.Pipelines.All(ctx)
		if err != nil || len(all) != 2 || !all[0].IsDefault || all[0].Name != "Customer support" || all[1].IsDefault {
			t.Fatalf("All after swapping the default = %+v, %v", all, err)
		}
		wantInvalid(t, s.Pipelines.Update(ctx, sales.ID, "Customer support", false), "name", "error.pipeline_name_taken")
		if err := s.Pipelines.Update(ctx, 999999, "x", false); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("update of a missing pipeline: %v", err)
		}

		// Deletion: never the default, never with tickets.
		wantInvalid(t, s.Pipelines.Delete(ctx, first.ID), "delete", "error.pipeline_delete_default")
		tk := ticketIn(t, s, sales, sales.Stages[0])
		wantInvalid(t, s.Pipelines.Delete(ctx, sales.ID), "delete", "error.pipeline_delete_tickets")
		counts, err := s.Pipelines.TicketCounts(ctx)
		if err != nil || counts[sales.ID] != 1 || counts[first.ID] != 0 {
			t.Fatalf("TicketCounts = %v, %v", counts, err)
		}
		if err := db.Gorm.Exec("DELETE FROM tickets WHERE id = ?", tk.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Pipelines.Delete(ctx, sales.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pipelines.ByID(ctx, sales.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("deleted pipeline still there: %v", err)
		}
	})
}

func TestPipelineStagesStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		p, err := s.Pipelines.Add(ctx, models.NewPipeline{Name: "Support", OpenStage: "New", ClosedStage: "Solved"})
		if err != nil {
			t.Fatal(err)
		}
		newStage, solved := p.Stages[0], p.Stages[1]
		waiting, err := s.Pipelines.AddStage(ctx, p.ID, models.StageInput{Name: "Waiting", RequiredProperties: []string{"category", "category"}})
		if err != nil || waiting.Position != 3 || !slices.Equal(waiting.RequiredProperties, models.Strings{"category"}) {
			t.Fatalf("AddStage = %+v, %v", waiting, err)
		}
		_, err = s.Pipelines.AddStage(ctx, p.ID, models.StageInput{Name: "x", RequiredProperties: []string{"nope"}})
		wantInvalid(t, err, "required", "error.stage_required_unknown")
		_, err = s.Pipelines.AddStage(ctx, p.ID, models.StageInput{Name: ""})
		wantInvalid(t, err, "name", "error.stage_name")
		if _, err := s.Pipelines.AddStage(ctx, 999999, models.StageInput{Name: "x"}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("stage in a missing pipeline: %v", err)
		}

		// Reorder: Waiting moves up above Solved; moving the first stage up changes nothing.
		if err := s.Pipelines.MoveStage(ctx, p.ID, waiting.ID, -1); err != nil {
			t.Fatal(err)
		}
		if err := s.Pipelines.MoveStage(ctx, p.ID, newStage.ID, -1); err != nil {
			t.Fatal(err)
		}
		names := func() []string {
			got, err := s.Pipelines.ByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, st := range got.Stages {
				out = append(out, st.Name)
			}
			return out
		}
		if got := names(); !slices.Equal(got, []string{"New", "Waiting", "Solved"}) {
			t.Fatalf("order after moves = %q", got)
		}
		if err := s.Pipelines.MoveStage(ctx, p.ID, solved.ID+1000, 1); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("moving a stage of no pipeline: %v", err)
		}

		// Closing a stage closes its tickets in the same step; reopening reopens them.
		tk := ticketIn(t, s, p, waiting)
		other := ticketIn(t, s, p, newStage)
		if err := s.Pipelines.UpdateStage(ctx, p.ID, waiting.ID, models.StageInput{Name: "On hold", IsClosed: true}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Tickets.ByID(ctx, tk.ID)
		if !got.IsClosed || got.ClosedAt == nil {
			t.Fatalf("ticket in the closed stage: is_closed %v closed_at %v", got.IsClosed, got.ClosedAt)
		}
		if o, _ := s.Tickets.ByID(ctx, other.ID); o.IsClosed {
			t.Fatal("a ticket of another stage was closed")
		}
		if err := s.Pipelines.UpdateStage(ctx, p.ID, waiting.ID, models.StageInput{Name: "On hold"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Tickets.ByID(ctx, tk.ID); got.IsClosed || got.ClosedAt != nil {
			t.Fatalf("reopened ticket: is_closed %v closed_at %v", got.IsClosed, got.ClosedAt)
		}
		counts, err := s.Pipelines.StageTicketCounts(ctx, p.ID)
		if err != nil || counts[waiting.ID] != 1 || counts[newStage.ID] != 1 || counts[solved.ID] != 0 {
			t.Fatalf("StageTicketCounts = %v, %v", counts, err)
		}

		// The last closed stage stays closed; the only open stages stay open.
		wantInvalid(t, s.Pipelines.UpdateStage(ctx, p.ID, solved.ID, models.StageInput{Name: "Solved"}), "is_closed", "error.stage_last_closed")
		if err := s.Pipelines.UpdateStage(ctx, p.ID, newStage.ID, models.StageInput{Name: "New", IsClosed: true}); err != nil {
			t.Fatal(err)
		}
		wantInvalid(t, s.Pipelines.UpdateStage(ctx, p.ID, waiting.ID, models.StageInput{Name: "On hold", IsClosed: true}), "is_closed", "error.stage_last_open")
		if err := s.Pipelines.UpdateStage(ctx, p.ID, newStage.ID, models.StageInput{Name: "New"}); err != nil {
			t.Fatal(err)
		}

		// Deletion: never with tickets, never the last closed stage.
		wantInvalid(t, s.Pipelines.DeleteStage(ctx, p.ID, waiting.ID), "delete", "error.stage_delete_tickets")
		wantInvalid(t, s.Pipelines.DeleteStage(ctx, p.ID, solved.ID), "delete", "error.stage_last_closed")
		if err := db.Gorm.Exec("DELETE FROM tickets WHERE id = ?", tk.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Pipelines.DeleteStage(ctx, p.ID, waiting.ID); err != nil {
			t.Fatal(err)
		}
		if got := names(); !slices.Equal(got, []string{"New", "Solved"}) {
			t.Fatalf("stages after delete = %q", got)
		}
	})
}

// staffUser creates an active staff user with a password hash.
func staffUser(t *testing.T, s *models.Stores, email, name string, role models.Role) models.StaffUser {
	t.Helper()
	u := models.StaffUser{Email: email, Name: name, Role: role, PasswordHash: "x", Active: true}
	if err := s.Staff.Create(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestStaffAdminStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		ada := staffUser(t, s, "ada@example.com", "Ada", models.RoleAdmin)
		bob := staffUser(t, s, "bob@example.com", "Bob", models.RoleAgent)
		billing, err := s.Staff.SaveTeam(ctx, 0, "Billing", []int64{bob.ID})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Staff.SaveTeam(ctx, 0, "Billing", nil)
		wantInvalid(t, err, "name", "error.team_name_taken")

		// An invitation: no password, teams set, address normalised and unique.
		cy, err := s.Staff.Invite(ctx, " Cy@Example.com", models.StaffProfile{Name: "Cy", Role: models.RoleAgent, TeamIDs: []int64{billing.ID}})
		if err != nil || cy.CanSignIn() || cy.Email != "cy@example.com" {
			t.Fatalf("Invite = %+v, %v", cy, err)
		}
		_, err = s.Staff.Invite(ctx, "cy@example.com", models.StaffProfile{Name: "Cy again", Role: models.RoleAgent})
		wantInvalid(t, err, "email", "error.staff_email_taken")
		_, err = s.Staff.Invite(ctx, "dee@example.com", models.StaffProfile{Name: "Dee", Role: models.RoleAgent, TeamIDs: []int64{999999}})
		wantInvalid(t, err, "teams", "error.staff_team_unknown")
		if _, err := s.Staff.ByEmail(ctx, "dee@example.com"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a refused invitation left a user behind: %v", err)
		}
		teams, err := s.Staff.TeamsOf(ctx, []int64{ada.ID, bob.ID, cy.ID})
		if err != nil || len(teams[ada.ID]) != 0 || len(teams[bob.ID]) != 1 || teams[cy.ID][0].Name != "Billing" {
			t.Fatalf("TeamsOf = %+v, %v", teams, err)
		}

		// Last-admin protection, for demotion and deactivation.
		if err := s.Staff.UpdateProfile(ctx, ada.ID, models.StaffProfile{Name: "Ada", Role: models.RoleAgent}); !errors.Is(err, models.ErrLastAdmin) {
			t.Fatalf("demoting the last admin: %v", err)
		}
		if err := s.Staff.SetActive(ctx, ada.ID, false); !errors.Is(err, models.ErrLastAdmin) {
			t.Fatalf("deactivating the last admin: %v", err)
		}
		if err := s.Staff.UpdateProfile(ctx, bob.ID, models.StaffProfile{Name: "Bob B.", Role: models.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		if err := s.Staff.SetActive(ctx, ada.ID, false); err != nil {
			t.Fatalf("with a second admin Ada may be deactivated: %v", err)
		}
		if err := s.Staff.UpdateProfile(ctx, bob.ID, models.StaffProfile{Name: "Bob", Role: models.RoleAgent}); !errors.Is(err, models.ErrLastAdmin) {
			t.Fatalf("demoting the last active admin (the other is inactive): %v", err)
		}
		got, _ := s.Staff.ByID(ctx, bob.ID)
		if got.Name != "Bob B." || got.Role != models.RoleAdmin {
			t.Fatalf("bob = %+v", got)
		}
		if teams, _ := s.Staff.TeamsOf(ctx, []int64{bob.ID}); len(teams[bob.ID]) != 0 {
			t.Fatalf("teams not replaced: %+v", teams)
		}
		wantInvalid(t, s.Staff.UpdateProfile(ctx, bob.ID, models.StaffProfile{Name: "Bob", Role: "root"}), "role", "error.role_invalid")
		wantInvalid(t, s.Staff.UpdateProfile(ctx, bob.ID, models.StaffProfile{Name: "", Role: models.RoleAdmin}), "name", "error.name_required")

		active, err := s.Staff.Active(ctx)
		if err != nil || len(active) != 2 || active[0].Name != "Bob B." || active[1].Name != "Cy" {
			t.Fatalf("Active = %+v, %v", active, err)
		}

		// Teams: members must be active staff; edits replace the members.
		_, err = s.Staff.SaveTeam(ctx, 0, "Nights", []int64{ada.ID})
		wantInvalid(t, err, "members", "error.team_member_unknown")
		if _, err := s.Staff.SaveTeam(ctx, billing.ID, "Billing and refunds", []int64{cy.ID, cy.ID}); err != nil {
			t.Fatal(err)
		}
		ids, err := s.Staff.TeamMemberIDs(ctx, billing.ID)
		if err != nil || !slices.Equal(ids, []int64{cy.ID}) {
			t.Fatalf("members = %v, %v", ids, err)
		}
		sum, err := s.Staff.TeamsWithCounts(ctx)
		if err != nil || len(sum) != 1 || sum[0].Name != "Billing and refunds" || sum[0].Members != 1 {
			t.Fatalf("TeamsWithCounts = %+v, %v", sum, err)
		}
		list, err := s.Staff.Teams(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("Teams = %+v, %v", list, err)
		}
		if err := s.Staff.DeleteTeam(ctx, billing.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Staff.DeleteTeam(ctx, billing.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestStaffPageKeyset(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		// Two users share a name: the page boundary falls between them.
		for _, n := range []string{"Eve", "Ann", "Cid", "Bea", "Cid", "Dan"} {
			staffUser(t, s, strings.ToLower(n)+time.Now().Format(".150405.000000000")+"@example.com", n, models.RoleAgent)
		}
		var seen []string
		after := int64(0)
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			page, more, err := s.Staff.StaffPage(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range page {
				seen = append(seen, u.Name)
			}
			if !more {
				break
			}
			after = page[len(page)-1].ID
		}
		if want := []string{"Ann", "Bea", "Cid", "Cid", "Dan", "Eve"}; !slices.Equal(seen, want) {
			t.Fatalf("pages = %q, want %q", seen, want)
		}
		if _, _, err := s.Staff.StaffPage(ctx, 999999, 2); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown cursor: %v", err)
		}
	})
}

func TestStaffTokenStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		u := staffUser(t, s, "ada@example.com", "Ada", models.RoleAdmin)
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		mk := func(hash, purpose string, ttl time.Duration) {
			t.Helper()
			if err := s.StaffAuth.Create(ctx, &models.StaffToken{TokenHash: hash, Purpose: purpose, StaffID: u.ID,
				CreatedAt: t0, ExpiresAt: t0.Add(ttl)}); err != nil {
				t.Fatal(err)
			}
		}
		mk("h-invite", models.StaffTokenInvite, 72*time.Hour)
		mk("h-reset", models.StaffTokenReset, time.Hour)

		if _, err := s.StaffAuth.Peek(ctx, "h-invite", models.StaffTokenReset, t0); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("peek with the wrong purpose: %v", err)
		}
		if tk, err := s.StaffAuth.Peek(ctx, "h-invite", models.StaffTokenInvite, t0); err != nil || tk.StaffID != u.ID {
			t.Fatalf("Peek = %+v, %v", tk, err)
		}
		if ok, err := s.StaffAuth.HasUsable(ctx, u.ID, models.StaffTokenInvite, t0); err != nil || !ok {
			t.Fatalf("HasUsable = %v, %v", ok, err)
		}
		// Expired one second after its hour.
		if _, err := s.StaffAuth.Consume(ctx, "h-reset", models.StaffTokenReset, t0.Add(time.Hour+time.Second)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("consume after expiry: %v", err)
		}
		if _, err := s.StaffAuth.Consume(ctx, "h-invite", models.StaffTokenInvite, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StaffAuth.Consume(ctx, "h-invite", models.StaffTokenInvite, t0.Add(time.Hour)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second use: %v", err)
		}
		mk("h-reset-2", models.StaffTokenReset, time.Hour)
		if err := s.StaffAuth.Revoke(ctx, u.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StaffAuth.Peek(ctx, "h-reset-2", models.StaffTokenReset, t0); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("revoked token still usable: %v", err)
		}
		n, err := s.StaffAuth.DeleteExpired(ctx, t0.Add(2*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v (the two one-hour tokens)", n, err)
		}
	})
}

func TestInboxAdminStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		mail, err := s.Inboxes.Add(ctx, models.InboxInput{Name: "Support mail", Channel: models.ChannelEmail, Address: " Help@Example.com ", Active: true})
		if err != nil || mail.Address != "help@example.com" || !mail.Active {
			t.Fatalf("Add = %+v, %v", mail, err)
		}
		if own, _ := s.Inboxes.HasAddress(ctx, "HELP@example.com"); !own {
			t.Fatal("HasAddress does not find the new inbox's address")
		}
		for _, tc := range []struct {
			name        string
			in          models.InboxInput
			field, code string
		}{
			{"taken name", models.InboxInput{Name: "Support mail", Channel: models.ChannelChat}, "name", "error.inbox_name_taken"},
			{"no name", models.InboxInput{Name: " ", Channel: models.ChannelChat}, "name", "error.inbox_name"},
			{"unknown channel", models.InboxInput{Name: "x", Channel: "fax"}, "channel", "error.inbox_channel"},
			{"e-mail inbox without address", models.InboxInput{Name: "x", Channel: models.ChannelEmail}, "address", "error.email_invalid"},
			{"e-mail inbox with a display name", models.InboxInput{Name: "x", Channel: models.ChannelEmail, Address: "Help <help@example.com>"}, "address", "error.email_invalid"},
			{"address with a line break", models.InboxInput{Name: "x", Channel: models.ChannelChat, Address: "a\nb"}, "address", "error.inbox_address"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Inboxes.Add(ctx, tc.in)
				wantInvalid(t, err, tc.field, tc.code)
			})
		}
		chat, err := s.Inboxes.Add(ctx, models.InboxInput{Name: "Chat", Channel: models.ChannelChat})
		if err != nil || chat.Active {
			t.Fatalf("chat inbox = %+v, %v", chat, err)
		}
		wantInvalid(t, s.Inboxes.Update(ctx, chat.ID, models.InboxInput{Name: "Support mail", Channel: models.ChannelChat}), "name", "error.inbox_name_taken")
		if err := s.Inboxes.Update(ctx, chat.ID, models.InboxInput{Name: "Website chat", Channel: models.ChannelChat, Active: true}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Inboxes.ByID(ctx, chat.ID); got.Name != "Website chat" || !got.Active {
			t.Fatalf("after update: %+v", got)
		}
		if err := s.Inboxes.Update(ctx, 999999, models.InboxInput{Name: "y", Channel: models.ChannelChat}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("update of a missing inbox: %v", err)
		}

		// An inbox a thread came through is kept.
		p := seedPipeline(t, s)
		tk := ticketIn(t, s, p, p.Stages[0])
		th := models.Thread{TicketID: tk.ID, Channel: models.ChannelEmail, InboxID: &mail.ID, CreatedAt: time.Now().UTC()}
		if err := s.Tickets.CreateThread(ctx, &th); err != nil {
			t.Fatal(err)
		}
		if used, err := s.Inboxes.InUse(ctx, mail.ID); err != nil || !used {
			t.Fatalf("InUse = %v, %v", used, err)
		}
		wantInvalid(t, s.Inboxes.Delete(ctx, mail.ID), "delete", "error.inbox_delete_in_use")
		if err := s.Inboxes.Delete(ctx, chat.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Inboxes.Delete(ctx, chat.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

// TestLastAdminUnderConcurrency: two admins demote or deactivate each other at the same
// moment, round after round; each time exactly one change wins and one admin stays.
func TestLastAdminUnderConcurrency(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		for round := range 6 {
			a := staffUser(t, s, "a"+time.Now().Format("150405.000000000")+"@example.com", "A", models.RoleAdmin)
			b := staffUser(t, s, "b"+time.Now().Format("150405.000000000")+"@example.com", "B", models.RoleAdmin)
			if err := db.Gorm.Exec("UPDATE staff_users SET active = ? WHERE id NOT IN (?, ?)", false, a.ID, b.ID).Error; err != nil {
				t.Fatal(err)
			}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, target := range []models.StaffUser{b, a} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if round%2 == 0 {
						errs[i] = s.Staff.UpdateProfile(ctx, target.ID, models.StaffProfile{Name: target.Name, Role: models.RoleAgent})
					} else {
						errs[i] = s.Staff.SetActive(ctx, target.ID, false)
					}
				}()
			}
			wg.Wait()
			ok, refused := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, models.ErrLastAdmin):
					refused++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			n, err := s.Staff.CountAdmins(ctx)
			if ok != 1 || refused != 1 || n != 1 || err != nil {
				t.Fatalf("round %d: %d won, %d refused, %d admins left (%v)", round, ok, refused, n, err)
			}
		}
	})
}
