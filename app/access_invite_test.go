package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// invitesTo lists the addresses the outbox holds portal invitations for, in order, repeats kept.
func invitesTo(t *testing.T, a *testApp) []string {
	t.Helper()
	rows, _, err := a.Stores.Outbox.List(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Kind == "invite" {
			out = append(out, r.ToAddr)
		}
	}
	slices.Sort(out)
	return out
}

// SPEC P-4: in access-list mode a contact gets the set-password invitation when they join an
// access list, and an active list is joined by coming to match its rule: a contact created or
// edited by the admin, a company renamed, a CSV import. Nobody is invited twice, and nothing is
// sent outside access-list mode.
func TestContactsJoiningAnActiveAccessListAreInvited(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		initech, err := a.SaveCompany(ctx, 0, CompanyInput{Name: "Initech"})
		if err != nil {
			t.Fatal(err)
		}
		byDomain, err := a.SaveList(ctx, 0, ListInput{Name: "Acme people", Kind: models.ListActive,
			Conditions: []models.ListCondition{{Field: models.RuleEmailDomain, Op: models.OpIs, Values: []string{"acme.example"}}}})
		if err != nil {
			t.Fatal(err)
		}
		byCompany, err := a.SaveList(ctx, 0, ListInput{Name: "Globex staff", Kind: models.ListActive,
			Conditions: []models.ListCondition{{Field: models.RuleCompany, Op: models.OpIs, Values: []string{"Globex"}}}})
		if err != nil {
			t.Fatal(err)
		}

		// Self-registration mode: a matching contact is not invited.
		if _, err := a.SaveContact(ctx, 0, ContactInput{Email: "early@acme.example", Name: "Early", Active: true}); err != nil {
			t.Fatal(err)
		}
		if got := invitesTo(t, a); len(got) != 0 {
			t.Fatalf("invitations outside access-list mode: %v", got)
		}

		p, err := a.Portal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.AccessMode, p.AccessLists = models.AccessLists, []int64{byDomain.ID, byCompany.ID}
		if err := a.SavePortal(ctx, p); err != nil {
			t.Fatal(err)
		}

		ann, err := a.SaveContact(ctx, 0, ContactInput{Email: "ann@acme.example", Name: "Ann", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		bob, err := a.SaveContact(ctx, 0, ContactInput{Email: "bob@other.example", Name: "Bob", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := invitesTo(t, a); !slices.Equal(got, []string{"ann@acme.example"}) {
			t.Fatalf("after creating a matching and another contact: invitations to %v", got)
		}
		// Edited to match: invited. Ann saved again: already a member, not invited twice.
		if _, err := a.SaveContact(ctx, bob.ID, ContactInput{Email: "bob@acme.example", Name: "Bob", Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SaveContact(ctx, ann.ID, ContactInput{Email: "ann@acme.example", Name: "Ann A.", Active: true}); err != nil {
			t.Fatal(err)
		}
		if got := invitesTo(t, a); !slices.Equal(got, []string{"ann@acme.example", "bob@acme.example"}) {
			t.Fatalf("after editing: invitations to %v", got)
		}

		// The company is renamed to what the other list's rule names: its contacts join.
		if _, err := a.SaveContact(ctx, 0, ContactInput{Email: "cy@initech.example", Name: "Cy", Company: "Initech", Active: true}); err != nil {
			t.Fatal(err)
		}
		if got := invitesTo(t, a); len(got) != 2 {
			t.Fatalf("a contact on no access list was invited: %v", got)
		}
		if _, err := a.SaveCompany(ctx, initech.ID, CompanyInput{Name: "Globex"}); err != nil {
			t.Fatal(err)
		}
		if got := invitesTo(t, a); !slices.Equal(got, []string{"ann@acme.example", "bob@acme.example", "cy@initech.example"}) {
			t.Fatalf("after renaming the company: invitations to %v", got)
		}

		// An import: the new matching row and the updated one that now matches are invited;
		// the row matching nothing is not.
		if _, err := a.SaveContact(ctx, 0, ContactInput{Email: "dee@elsewhere.example", Name: "Dee", Active: true}); err != nil {
			t.Fatal(err)
		}
		plan, err := a.PlanImport(ctx, parseOK(t, "email,name,company\n"+
			"eve@acme.example,Eve,\n"+
			"dee@elsewhere.example,Dee,Globex\n"+
			"fay@nowhere.example,Fay,\n"), true)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.ApplyImport(ctx, plan)
		if err != nil {
			t.Fatal(err)
		}
		if res.Invited != 2 {
			t.Fatalf("import result %+v, want 2 invited", res)
		}
		want := []string{"ann@acme.example", "bob@acme.example", "cy@initech.example", "dee@elsewhere.example", "eve@acme.example"}
		if got := invitesTo(t, a); !slices.Equal(got, want) {
			t.Fatalf("after the import: invitations to %v, want %v", got, want)
		}

		// Ann's link has expired unused; editing her again is not joining a list, so it sends
		// no new one (saving the portal's access settings does).
		a.advance(InviteTTL + time.Hour)
		if _, err := a.SaveContact(ctx, ann.ID, ContactInput{Email: "ann@acme.example", Name: "Ann B.", Active: true}); err != nil {
			t.Fatal(err)
		}
		if got := invitesTo(t, a); !slices.Equal(got, want) {
			t.Fatalf("editing a member whose link expired: invitations to %v, want %v", got, want)
		}
	})
}
