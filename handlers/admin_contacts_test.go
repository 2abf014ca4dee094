package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

// contactAdminServer is a test server over db with a signed-in admin (ada) and a signed-in
// agent (bob).
func contactAdminServer(t *testing.T, db *models.DB) (s *testServer, admin, agent *browser) {
	t.Helper()
	s = newTestServer(t, db, testConfig(t))
	s.staff(models.RoleAdmin, "ada@example.com")
	s.staff(models.RoleAgent, "bob@example.com")
	admin, agent = s.browser(), s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	return s, admin, agent
}

// postAdmin posts a form with the admin's CSRF token and returns the response and its body.
func (b *browser) postAdmin(target string, form url.Values) (*http.Response, string) {
	b.s.t.Helper()
	form.Set(CSRFField, b.csrf("/admin/contacts"))
	resp := b.do("POST", target, form)
	return resp, readBody(b.s.t, resp)
}

// wantNoAccess checks the agent's 403 and the anonymous visitor's sign-in redirect on GET
// and POST routes of this area.
func wantNoAccess(t *testing.T, s *testServer, agent *browser, gets, posts []string) {
	t.Helper()
	for _, p := range gets {
		wantStatus(t, agent.get(p), http.StatusForbidden)
		wantLoginRedirect(t, s.browser().get(p))
	}
	token := agent.csrf("/desk")
	for _, p := range posts {
		wantStatus(t, agent.do("POST", p, url.Values{CSRFField: {token}}), http.StatusForbidden)
	}
}

func TestAdminContactsCreateEditDelete(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s, admin, agent := contactAdminServer(t, db)
		ctx := context.Background()
		st := s.app.Stores
		acme := models.Company{Name: "ACME & Co"}
		if err := st.Companies.Create(ctx, &acme); err != nil {
			t.Fatal(err)
		}
		wantContains(t, readBody(t, admin.get("/admin/contacts")), "No contacts found.")
		wantStatus(t, admin.get("/admin/contacts/new"), http.StatusOK)

		// Field errors show the form again with the input kept; nothing is stored.
		for _, tc := range []struct {
			form url.Values
			msg  string
		}{
			{url.Values{"email": {"not-an-address"}, "name": {"Ana"}}, "Enter a valid e-mail address."},
			{url.Values{"email": {"ana@example.com"}, "company": {"Nope Inc"}}, "No company has this name."},
			{url.Values{"email": {"ana@example.com"}, "phone": {"<script>"}}, "Use at most 40 characters"},
			{url.Values{"email": {"ana@example.com"}, "language": {"xx"}}, "Choose one of the languages offered."},
			{url.Values{"email": {"ana@example.com"}, "prop_key": {"a", "A"}, "prop_value": {"1", "2"}}, "Two rows have the same key."},
		} {
			resp, body := admin.postAdmin("/admin/contacts/new", tc.form)
			wantStatus(t, resp, http.StatusOK)
			wantContains(t, body, tc.msg, `aria-invalid="true"`)
		}
		if n := countRows(t, db, "contacts"); n != 0 {
			t.Fatalf("%d contacts after invalid forms", n)
		}

		// Created with the listed fields only: a password or id in the form is ignored.
		resp, _ := admin.postAdmin("/admin/contacts/new", url.Values{"email": {" Ana@Example.COM "}, "name": {"Ana <Lima>"},
			"phone": {"+55 11 5555-0000"}, "company": {"acme & co"}, "language": {"pt-BR"}, "active": {"yes"},
			"prop_key": {"Plan Tier", ""}, "prop_value": {"gold", ""}, "password_hash": {"x"}, "id": {"999"}})
		wantStatus(t, resp, http.StatusSeeOther)
		ana, err := st.Contacts.ByEmail(ctx, "ana@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Location") != "/admin/contacts/"+strconv.FormatInt(ana.ID, 10) || ana.ID == 999 ||
			ana.PasswordHash != "" || ana.CompanyID == nil || *ana.CompanyID != acme.ID || ana.Language != "pt-BR" ||
			!ana.Active || ana.Properties["plan_tier"] != "gold" || len(ana.Properties) != 1 {
			t.Fatalf("created contact: %+v (Location %s)", ana, resp.Header.Get("Location"))
		}
		resp, body := admin.postAdmin("/admin/contacts/new", url.Values{"email": {"ANA@example.com"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, body, "Another contact already has this e-mail address.")

		// The contact's page: details, the form filled in, lists and tickets.
		page := "/admin/contacts/" + strconv.FormatInt(ana.ID, 10)
		list := models.ContactList{Name: "VIP", Kind: models.ListStatic}
		st.Contacts.CreateList(ctx, &list)
		st.Contacts.AddToList(ctx, list.ID, []int64{ana.ID}, s.app.Now())
		tk := seedTicketFor(t, s, ana.ID)
		body = readBody(t, admin.get(page))
		wantContains(t, body, `<dd id="contact-email">ana@example.com</dd>`, `value="Ana &lt;Lima&gt;"`, `value="ACME &amp; Co"`,
			`value="plan_tier"`, `value="gold"`, `<option value="pt-BR" lang="pt-BR" selected>`, `id="contact-active-input" name="active" type="checkbox" value="yes" checked`,
			`<a href="/admin/lists/`+strconv.FormatInt(list.ID, 10)+`">VIP</a>`,
			fmt.Sprintf(`<a href="/desk/tickets/%d">#%d</a>`, tk.Number, tk.Number))
		wantNotContains(t, body, "<Lima>")

		// Editing: a cleared property row removes it; switching off ends portal sessions.
		if _, err := s.app.StartSession(ctx, models.KindContact, ana.ID, "192.0.2.1", "test"); err != nil {
			t.Fatal(err)
		}
		resp, body = admin.postAdmin(page, url.Values{"email": {"bad"}, "name": {"Ana"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, body, "Enter a valid e-mail address.", `<dd id="contact-email">ana@example.com</dd>`)
		resp, _ = admin.postAdmin(page, url.Values{"email": {"ana.lima@example.com"}, "name": {"Ana Lima"}, "company": {""},
			"prop_key": {"plan_tier", "seats"}, "prop_value": {"", "10"}})
		wantRedirect(t, resp, page)
		ana, _ = st.Contacts.ByID(ctx, ana.ID)
		if ana.Email != "ana.lima@example.com" || ana.Active || ana.CompanyID != nil || ana.Properties["seats"] != "10" || len(ana.Properties) != 1 {
			t.Fatalf("after edit: %+v", ana)
		}
		if n, _ := st.Sessions.CountForUser(ctx, models.KindContact, ana.ID); n != 0 {
			t.Fatalf("%d sessions left after switching the contact off", n)
		}

		// Deactivating ends sessions too.
		resp, _ = admin.postAdmin(page, url.Values{"email": {"ana.lima@example.com"}, "active": {"yes"}})
		wantRedirect(t, resp, page)
		s.app.StartSession(ctx, models.KindContact, ana.ID, "192.0.2.1", "test")
		resp, _ = admin.postAdmin(page+"/deactivate", url.Values{})
		wantRedirect(t, resp, page)
		ana, _ = st.Contacts.ByID(ctx, ana.ID)
		if n, _ := st.Sessions.CountForUser(ctx, models.KindContact, ana.ID); ana.Active || n != 0 {
			t.Fatalf("deactivated: active %v, %d sessions", ana.Active, n)
		}
		wantContains(t, readBody(t, admin.get(page)), `id="contact-inactive"`)

		// CSRF: a post without the token changes nothing.
		before := countRows(t, db, "contacts")
		wantStatus(t, admin.do("POST", "/admin/contacts/new", url.Values{"email": {"x@example.com"}}), http.StatusForbidden)
		wantStatus(t, admin.do("POST", page+"/delete", url.Values{"confirm": {"yes"}}), http.StatusForbidden)
		if countRows(t, db, "contacts") != before {
			t.Fatal("a forged post changed the contacts")
		}

		// Deleting needs the box; the tickets stay, without a contact.
		resp, _ = admin.postAdmin(page+"/delete", url.Values{})
		wantRedirect(t, resp, page)
		resp, _ = admin.postAdmin(page+"/delete", url.Values{"confirm": {"yes"}})
		wantRedirect(t, resp, "/admin/contacts")
		wantStatus(t, admin.get(page), http.StatusNotFound)
		got, err := st.Tickets.ByNumber(ctx, tk.Number)
		if err != nil || got.ContactID != nil {
			t.Fatalf("ticket after deleting its contact: %+v, %v", got, err)
		}
		for _, bad := range []string{"/admin/contacts/abc", "/admin/contacts/0", "/admin/contacts/99999"} {
			wantStatus(t, admin.get(bad), http.StatusNotFound)
		}
		wantNoAccess(t, s, agent, []string{"/admin/contacts", "/admin/contacts/new", page},
			[]string{"/admin/contacts/new", page, page + "/deactivate", page + "/delete"})
	})
}

// seedTicketFor stores a ticket of a contact in a fresh default pipeline.
func seedTicketFor(t *testing.T, s *testServer, contactID int64) models.Ticket {
	t.Helper()
	ctx := context.Background()
	p := models.Pipeline{Name: "Support " + strconv.FormatInt(contactID, 10), Stages: []models.PipelineStage{{Name: "New", Position: 1}}}
	if err := s.app.Stores.Pipelines.Create(ctx, &p); err != nil {
		t.Fatal(err)
	}
	now := s.app.Now()
	tk := models.Ticket{Subject: "Help <now>", PipelineID: p.ID, StageID: p.Stages[0].ID, SourceChannel: models.ChannelPortal,
		ContactID: &contactID, CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
	if err := s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestAdminContactListSearchAndPages(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s, admin, _ := contactAdminServer(t, db)
		ctx := context.Background()
		co := models.Company{Name: "Globex"}
		s.app.Stores.Companies.Create(ctx, &co)
		var rows []models.Contact
		for i := range 60 {
			c := models.Contact{Email: fmt.Sprintf("p%02d@example.com", i), Name: fmt.Sprintf("Person %02d", i), Active: true}
			if i < 3 {
				c.CompanyID = &co.ID
			}
			rows = append(rows, c)
		}
		if err := s.app.Stores.Contacts.InsertNew(ctx, rows); err != nil {
			t.Fatal(err)
		}
		body := readBody(t, admin.get("/admin/contacts"))
		wantContains(t, body, "p00@example.com", "p49@example.com", `rel="next"`)
		wantNotContains(t, body, "p50@example.com", `rel="prev"`)
		next := linkRel(t, body, "next")
		body = readBody(t, admin.get(next))
		wantContains(t, body, "p50@example.com", "p59@example.com", `rel="prev"`)
		wantNotContains(t, body, "p49@example.com", `rel="next"`)
		body = readBody(t, admin.get(linkRel(t, body, "prev")))
		wantContains(t, body, "p00@example.com", "p49@example.com")

		// Search and company filter; htmx gets the table alone, which the page includes.
		body = readBody(t, admin.get("/admin/contacts?q=PERSON+07"))
		wantContains(t, body, "p07@example.com")
		wantNotContains(t, body, "p08@example.com")
		resp := admin.get("/admin/contacts?q=person+07", "HX-Request", "true")
		wantStatus(t, resp, http.StatusOK)
		frag := readBody(t, resp)
		if strings.Contains(frag, "<html") || !strings.Contains(frag, `<div id="contact-table">`) || !strings.Contains(frag, "p07@example.com") {
			t.Fatalf("htmx answer is not the table fragment:\n%s", frag)
		}
		if !strings.Contains(body, strings.TrimSpace(frag)) {
			t.Fatal("the fragment is not part of the page")
		}
		body = readBody(t, admin.get("/admin/contacts?company=globex"))
		wantContains(t, body, "p00@example.com", "p02@example.com")
		wantNotContains(t, body, "p03@example.com")
		wantContains(t, readBody(t, admin.get("/admin/contacts?company=nobody")), "No company has this name.")
		wantContains(t, readBody(t, admin.get("/admin/contacts?q=%27+OR+1%3D1--")), "No contacts found.")
		wantContains(t, readBody(t, admin.get("/admin/contacts?q=%25")), "No contacts found.")
	})
}

// linkRel returns the href of the pager link with this rel.
func linkRel(t *testing.T, body, rel string) string {
	t.Helper()
	i := strings.Index(body, `rel="`+rel+`"`)
	if i < 0 {
		t.Fatalf("no %s link", rel)
	}
	start := strings.LastIndex(body[:i], `href="`)
	href := body[start+len(`href="`):]
	href = href[:strings.Index(href, `"`)]
	return strings.ReplaceAll(href, "&amp;", "&")
}
