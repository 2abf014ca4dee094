package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// storeContact saves a contact for a list test; with a password when pw is not "".
func storeContact(t *testing.T, s *testServer, email, name string, props models.Props, pw string) models.Contact {
	t.Helper()
	c := models.Contact{Email: email, Name: name, Active: true, Properties: props}
	if pw != "" {
		hash, err := app.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		now := s.app.Now()
		c.PasswordHash, c.EmailVerifiedAt = hash, &now
	}
	if err := s.app.Stores.Contacts.Create(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAdminStaticListMembersAndInvites(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s, admin, agent := contactAdminServer(t, db)
		ctx := context.Background()
		ana := storeContact(t, s, "ana@example.com", "Ana", nil, "")
		bo := storeContact(t, s, "bo@example.com", "Bo", nil, "a good long password")
		storeContact(t, s, "cy@other.test", "Cy", nil, "")

		wantContains(t, readBody(t, admin.get("/admin/lists")), "There are no contact lists yet.")
		resp, body := admin.postAdmin("/admin/lists/new", url.Values{"name": {""}, "kind": {"static"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, body, "Enter a name of at most 120 characters", `aria-invalid="true"`)
		resp, body = admin.postAdmin("/admin/lists/new", url.Values{"name": {"VIP"}, "kind": {"sorted"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, body, "Choose static or active.")
		resp, _ = admin.postAdmin("/admin/lists/new", url.Values{"name": {"VIP"}, "kind": {"static"}})
		wantStatus(t, resp, http.StatusSeeOther)
		page := resp.Header.Get("Location")
		id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/admin/lists/"), 10, 64)
		resp, body = admin.postAdmin("/admin/lists/new", url.Values{"name": {"VIP"}, "kind": {"static"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, body, "Another list already has this name.")

		// The portal admits only this list: new members without a password get an invitation.
		p := s.portalSettings()
		p.AccessMode, p.AccessLists = models.AccessLists, []int64{id}
		if err := s.app.SavePortal(ctx, p); err != nil {
			t.Fatal(err)
		}

		// Find by e-mail, tick, add.
		body = readBody(t, admin.get(page+"?find=example.com"))
		wantContains(t, body, `id="add-contact-`+strconv.FormatInt(ana.ID, 10)+`"`, `id="add-contact-`+strconv.FormatInt(bo.ID, 10)+`"`)
		wantNotContains(t, body, "cy@other.test")
		resp, _ = admin.postAdmin(page+"/members", url.Values{})
		wantRedirect(t, resp, page)
		resp, _ = admin.postAdmin(page+"/members", url.Values{"contact_id": {strconv.FormatInt(ana.ID, 10), strconv.FormatInt(bo.ID, 10), "99999", "x"}})
		wantRedirect(t, resp, page)
		for _, c := range []models.Contact{ana, bo} {
			if in, _ := s.app.Stores.Contacts.InList(ctx, id, c.ID); !in {
				t.Fatalf("%s not added", c.Email)
			}
		}
		if s.emailCount("ana@example.com") != 1 || s.emailCount("bo@example.com") != 0 {
			t.Fatalf("invitations: ana %d, bo %d (bo has a password)", s.emailCount("ana@example.com"), s.emailCount("bo@example.com"))
		}
		if subject, _ := s.lastEmail("ana@example.com"); subject == "" {
			t.Fatal("no invitation subject")
		}
		body = readBody(t, admin.get(page))
		wantContains(t, body, "ana@example.com", "bo@example.com", `aria-label="Remove ana@example.com from the list"`)
		wantContains(t, readBody(t, admin.get("/admin/lists")), ">VIP</a></td>\n      <td>static</td>\n      <td>2</td>")
		wantContains(t, readBody(t, admin.get("/admin/contacts/"+strconv.FormatInt(ana.ID, 10))), `>VIP</a>`)

		// Remove one; a forged request changes nothing.
		wantStatus(t, admin.do("POST", page+"/members/remove", url.Values{"contact_id": {strconv.FormatInt(bo.ID, 10)}}), http.StatusForbidden)
		resp, _ = admin.postAdmin(page+"/members/remove", url.Values{"contact_id": {strconv.FormatInt(bo.ID, 10)}})
		wantRedirect(t, resp, page)
		if in, _ := s.app.Stores.Contacts.InList(ctx, id, bo.ID); in {
			t.Fatal("bo still on the list")
		}
		if in, _ := s.app.Stores.Contacts.InList(ctx, id, ana.ID); !in {
			t.Fatal("ana removed too")
		}

		// Rename; the kind is fixed once made.
		resp, _ = admin.postAdmin(page, url.Values{"name": {"Gold"}, "kind": {"active"}})
		wantRedirect(t, resp, page)
		l, _ := s.app.Stores.Contacts.ListByID(ctx, id)
		if l.Name != "Gold" || l.Kind != models.ListStatic {
			t.Fatalf("after save: %+v", l)
		}
		resp, _ = admin.postAdmin(page+"/delete", url.Values{})
		wantRedirect(t, resp, page)
		resp, _ = admin.postAdmin(page+"/delete", url.Values{"confirm": {"yes"}})
		wantRedirect(t, resp, "/admin/lists")
		wantStatus(t, admin.get(page), http.StatusNotFound)
		if _, err := s.app.Stores.Contacts.ByID(ctx, ana.ID); err != nil {
			t.Fatal("deleting the list deleted its member")
		}
		wantNoAccess(t, s, agent, []string{"/admin/lists", "/admin/lists/new", page},
			[]string{"/admin/lists/new", page, page + "/delete", page + "/members", page + "/members/remove"})
	})
}

// TestActiveListRuleAndPortalAccess: an active list's members follow its rule; as a portal
// access list it admits contacts matching the rule and denies the others. Hostile rule input
// is refused or stays a bound value (SECURITY INJ-01).
func TestActiveListRuleAndPortalAccess(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s, admin, _ := contactAdminServer(t, db)
		ctx := context.Background()
		const pw = "a good long password"
		storeContact(t, s, "gold@example.com", "Gold Customer", models.Props{"plan": "Gold"}, pw)
		storeContact(t, s, "silver@example.com", "Silver Customer", models.Props{"plan": "silver"}, pw)
		storeContact(t, s, "other@elsewhere.test", "Other", models.Props{"plan": "gold"}, pw)

		rule := func(name string, rows ...[4]string) url.Values {
			f := url.Values{"name": {name}, "kind": {"active"}}
			for _, r := range rows {
				f.Add("cond_field", r[0])
				f.Add("cond_key", r[1])
				f.Add("cond_op", r[2])
				f.Add("cond_value", r[3])
			}
			return f
		}
		for _, tc := range []struct {
			form url.Values
			msg  string
		}{
			{rule("R"), "An active list needs at least one condition."},
			{rule("R", [4]string{"email; DROP TABLE contacts", "", "is", "x"}), "Choose a field for each condition."},
			{rule("R", [4]string{"property", "plan') OR 1=1--", "is", "x"}), "A custom property condition needs a key"},
			{rule("R", [4]string{"name", "", "= 1 OR 1=1", "x"}), "Choose an operator for each condition."},
		} {
			resp, body := admin.postAdmin("/admin/lists/new", tc.form)
			wantStatus(t, resp, http.StatusOK)
			wantContains(t, body, tc.msg)
		}
		if n := countRows(t, db, "contact_lists"); n != 0 {
			t.Fatalf("%d lists after refused rules", n)
		}
		// A hostile value is only a value: nobody matches, nothing breaks.
		resp, _ := admin.postAdmin("/admin/lists/new", rule("Hostile", [4]string{"name", "", "contains", "' OR 1=1--"},
			[4]string{"property", "plan", "any_of", "x'); DROP TABLE contacts;--, y"}))
		wantStatus(t, resp, http.StatusSeeOther)
		wantContains(t, readBody(t, admin.get(resp.Header.Get("Location"))), "No members.")

		resp, _ = admin.postAdmin("/admin/lists/new", rule("Gold at example.com",
			[4]string{"property", "plan", "is", "GOLD"}, [4]string{"email_domain", "", "is", "example.com"}, [4]string{"", "", "", ""}))
		wantStatus(t, resp, http.StatusSeeOther)
		page := resp.Header.Get("Location")
		id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/admin/lists/"), 10, 64)
		body := readBody(t, admin.get(page))
		wantContains(t, body, "gold@example.com", "The members follow the rule", `<option value="email_domain" selected>E-mail domain</option>`)
		wantNotContains(t, body, "silver@example.com", "other@elsewhere.test", `id="list-add-search"`)
		wantContains(t, readBody(t, admin.get("/admin/lists")), ">Gold at example.com</a></td>\n      <td>active</td>\n      <td>1</td>")
		// Members of an active list are not chosen.
		resp, body = admin.postAdmin(page+"/members", url.Values{"contact_id": {"1"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, body, "Members are chosen on static lists only")

		// The portal admits the rule's members only.
		p := s.portalSettings()
		p.AccessMode, p.AccessLists = models.AccessLists, []int64{id}
		if err := s.app.SavePortal(ctx, p); err != nil {
			t.Fatal(err)
		}
		in := s.browser()
		wantStatus(t, in.portalLogin("gold@example.com", pw), http.StatusSeeOther)
		wantStatus(t, in.get("/portal"), http.StatusOK)
		for _, email := range []string{"silver@example.com", "other@elsewhere.test"} {
			out := s.browser()
			if loc := out.portalLogin(email, pw).Header.Get("Location"); loc != "/portal/denied" {
				t.Fatalf("%s: Location %q, want the access-denied page", email, loc)
			}
			wantStatus(t, out.get("/portal"), http.StatusSeeOther)
		}

		// Editing the rule changes who gets in, at once.
		resp, _ = admin.postAdmin(page, rule("Gold at example.com", [4]string{"property", "plan", "any_of", "gold, silver"}))
		wantRedirect(t, resp, page)
		wantStatus(t, s.browser().portalLogin("silver@example.com", pw), http.StatusSeeOther)

		// A contact the admin adds who matches the rule joins the list, and so gets the
		// invitation to set a password (SPEC P-4); one who does not match gets nothing.
		resp, _ = admin.postAdmin("/admin/contacts/new", url.Values{"email": {"new-gold@example.com"}, "name": {"New"},
			"active": {"yes"}, "prop_key": {"plan"}, "prop_value": {"gold"}})
		wantStatus(t, resp, http.StatusSeeOther)
		resp, _ = admin.postAdmin("/admin/contacts/new", url.Values{"email": {"new-bronze@example.com"}, "name": {"Other"},
			"active": {"yes"}, "prop_key": {"plan"}, "prop_value": {"bronze"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if got := outboxTo(t, s, "new-gold@example.com"); len(got) != 1 || got[0].Kind != "invite" {
			t.Fatalf("e-mails to the new member: %+v, want one invitation", got)
		}
		if got := outboxTo(t, s, "new-bronze@example.com"); len(got) != 0 {
			t.Fatalf("e-mails to a contact on no access list: %+v", got)
		}
	})
}
