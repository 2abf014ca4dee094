package handlers

// The admin's portal ticket settings: saving visibility, stage labels, default inbox and filter
// rules, and the portal honouring them on the next request; refused rules re-rendered with
// status 200 and nothing saved; the preview's counts; staff without the admin role refused.
// Also the listing's search helper (portal_ticket_search.go).

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

// ticketAdminEmptyViewModel is the empty view model of the templates this file's page renders,
// for TestEveryTemplateRenders (views_test.go: emptyViewModel can ask it first).
func ticketAdminEmptyViewModel(name string, b Base) (any, bool) {
	if name != "pages/admin/portal_tickets" {
		return nil, false
	}
	return ticketSettingsPage{portalAdmin: portalAdmin{Base: b}, Rules: ruleRows(b, nil, false),
		Inboxes: inboxOptions(b, nil, ""), Preview: &ticketPreview{}}, true
}

// ticketForm is a settings form with the given rule rows (property, key, op, values each) and
// empty rows after them, as a browser submits it.
func ticketForm(visibility string, rows ...[4]string) url.Values {
	f := url.Values{"ticket_visibility": {visibility}, "default_inbox_id": {"0"}}
	for _, r := range append(rows, [4]string{"", "", "is", ""}, [4]string{"", "", "is", ""}, [4]string{"", "", "is", ""}) {
		f.Add("filter_property", r[0])
		f.Add("filter_key", r[1])
		f.Add("filter_op", r[2])
		f.Add("filter_values", r[3])
	}
	return f
}

func settingsJSON(t *testing.T, s *testServer) string {
	t.Helper()
	p := s.portalSettings()
	b, _ := json.Marshal(p)
	return string(b)
}

func TestPortalTicketSettings(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		ctx := context.Background()
		w.s.staff(models.RoleAdmin, "ada@example.com")
		admin := w.s.browser()
		wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
		inbox := models.Inbox{Name: "Portal replies", Channel: models.ChannelPortal, Active: true}
		if err := w.s.app.Stores.Inboxes.Create(ctx, &inbox); err != nil {
			t.Fatal(err)
		}
		high := func(tk *models.Ticket) { tk.Priority = models.PriorityHigh }
		annHigh := w.ticket(t, w.annC, "Ann urgent press", high, func(tk *models.Ticket) { tk.Properties = models.Props{"equipment": "press"} })
		annLow := w.ticket(t, w.annC, "Ann small question")
		benHigh := w.ticket(t, w.benC, "Ben urgent", high)
		benLow := w.ticket(t, w.benC, "Ben small")

		// The page: saved values, three empty rule rows, a label for every input, no inline code.
		resp := admin.get("/admin/portal/tickets")
		wantStatus(t, resp, http.StatusOK)
		body := readBody(t, resp)
		if n := strings.Count(body, `name="filter_property"`); n != 3 {
			t.Fatalf("%d rule rows on a fresh page, want 3 empty ones", n)
		}
		wantContains(t, body, `value="own" checked`, `<option value="`+strconv.FormatInt(inbox.ID, 10)+`">Portal replies</option>`,
			`for="tickets-rule-values-2"`, `for="tickets-preview-email"`, `for="tickets-inbox"`, `Support = `+strconv.FormatInt(w.pipe.ID, 10))
		wantNotContains(t, body, "style=", "<script>", "<no value>")
		if m := messageIDLeft.FindString(body); m != "" {
			t.Fatalf("untranslated message ID: %s", m)
		}

		// Save: company visibility, stage names, the inbox and one rule.
		f := ticketForm(models.VisibilityCompany, [4]string{"priority", "", "any_of", "high, urgent"})
		f.Set("show_custom_stages", "true")
		f.Set("default_inbox_id", strconv.FormatInt(inbox.ID, 10))
		f.Set("save", "1")
		wantRedirect(t, admin.post("/admin/portal/tickets", "/admin/portal/tickets", f), "/admin/portal/tickets")
		p := w.s.portalSettings()
		want := []models.FilterRule{{Property: "priority", Op: models.OpAnyOf, Values: []string{"high", "urgent"}}}
		if p.TicketVisibility != models.VisibilityCompany || !p.ShowCustomStages || p.DefaultInboxID != inbox.ID ||
			len(p.TicketFilters) != 1 || !slices.Equal(p.TicketFilters[0].Values, want[0].Values) || p.TicketFilters[0].Property != "priority" {
			t.Fatalf("saved %+v", p)
		}
		body = readBody(t, admin.get("/admin/portal/tickets"))
		wantContains(t, body, "Ticket settings saved.", `value="company" checked`, `value="high, urgent"`,
			`<option value="priority" selected>`, `<option value="any_of" selected>`, `name="show_custom_stages" type="checkbox" value="true" checked`)
		if n := strings.Count(body, `name="filter_property"`); n != 4 {
			t.Fatalf("%d rule rows with one rule, want 4", n)
		}

		// The portal honours it at once: own view and organisation view, detail pages too.
		mine := readBody(t, w.ann.get("/portal"))
		wantContains(t, mine, annHigh.Ref(), "New") // stage names shown
		wantNotContains(t, mine, annLow.Ref(), benHigh.Ref())
		org := readBody(t, w.ann.get("/portal?view=org"))
		wantContains(t, org, annHigh.Ref(), benHigh.Ref())
		wantNotContains(t, org, annLow.Ref(), benLow.Ref())
		wantStatus(t, w.ann.get("/portal/tickets/"+annLow.Ref()), http.StatusNotFound)
		wantStatus(t, w.ann.get("/portal/tickets/"+benHigh.Ref()), http.StatusOK)
		wantStatus(t, w.gil.get("/portal/tickets/"+benHigh.Ref()), http.StatusNotFound)

		// A custom property rule, then back to own tickets without rules.
		f = ticketForm(models.VisibilityOwn, [4]string{"prop", "equipment", "is", "press"})
		wantRedirect(t, admin.post("/admin/portal/tickets", "/admin/portal/tickets", f), "/admin/portal/tickets")
		if p := w.s.portalSettings(); len(p.TicketFilters) != 1 || p.TicketFilters[0].Property != "prop:equipment" || p.DefaultInboxID != 0 || p.ShowCustomStages {
			t.Fatalf("saved %+v", p)
		}
		mine = readBody(t, w.ann.get("/portal"))
		wantContains(t, mine, annHigh.Ref())
		wantNotContains(t, mine, annLow.Ref())
		wantStatus(t, w.ann.get("/portal/tickets/"+benHigh.Ref()), http.StatusNotFound)
		wantContains(t, readBody(t, admin.get("/admin/portal/tickets")), `<option value="prop" selected>`, `value="equipment"`)
		wantRedirect(t, admin.post("/admin/portal/tickets", "/admin/portal/tickets", ticketForm(models.VisibilityOwn)), "/admin/portal/tickets")
		if p := w.s.portalSettings(); len(p.TicketFilters) != 0 {
			t.Fatalf("rules left after saving empty rows: %+v", p.TicketFilters)
		}
		wantContains(t, readBody(t, w.ann.get("/portal")), annHigh.Ref(), annLow.Ref())

		// Refused input: 200, the reason beside the field, nothing saved.
		before := settingsJSON(t, w.s)
		refused := []struct {
			name string
			form url.Values
			want string
		}{
			{"unknown property", ticketForm("own", [4]string{"id", "", "is", "1"}), "Choose a ticket property"},
			{"hostile property", ticketForm("own", [4]string{"priority; DROP TABLE tickets", "", "is", "x"}), "Choose a ticket property"},
			{"bad custom key", ticketForm("own", [4]string{"prop", "Bad Key!", "is", "x"}), "Choose a ticket property"},
			{"custom property without key", ticketForm("own", [4]string{"prop", "", "is", "x"}), "Choose a ticket property"},
			{"key without property", ticketForm("own", [4]string{"", "equipment", "is", "x"}), "Choose a ticket property"},
			{"empty values", ticketForm("own", [4]string{"priority", "", "any_of", " , "}), "Give one value"},
			{"two values for is", ticketForm("own", [4]string{"priority", "", "is", "high,low"}), "Give one value"},
			{"pipeline not a number", ticketForm("own", [4]string{"pipeline", "", "is", "1 OR 1=1"}), "Give one value"},
			{"unknown operator", ticketForm("own", [4]string{"priority", "", "like", "%"}), "Choose is, is not"},
			{"unknown visibility", ticketForm("everyone"), "Choose own tickets only"},
			{"unknown inbox", func() url.Values { f := ticketForm("own"); f.Set("default_inbox_id", "999999"); return f }(), "Choose one of the inboxes"},
			{"inbox not a number", func() url.Values { f := ticketForm("own"); f.Set("default_inbox_id", "1 OR 1=1"); return f }(), "Choose one of the inboxes"},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				resp := admin.post("/admin/portal/tickets", "/admin/portal/tickets", c.form)
				wantStatus(t, resp, http.StatusOK)
				body := readBody(t, resp)
				wantContains(t, body, `class="field-error"`, c.want, `aria-invalid="true"`)
				if after := settingsJSON(t, w.s); after != before {
					t.Fatalf("settings changed by a refused form:\n%s\n%s", before, after)
				}
			})
		}
		// The refused row keeps what was typed and is the one marked.
		body = readBody(t, admin.post("/admin/portal/tickets", "/admin/portal/tickets",
			ticketForm("own", [4]string{"priority", "", "is", "high"}, [4]string{"prop", "Bad Key!", "is", "x"})))
		wantContains(t, body, `value="Bad Key!"`, `id="tickets-rule-error-1"`)
		wantNotContains(t, body, `id="tickets-rule-error-0"`)

		// htmx gets a redirect header instead of a 303.
		f = ticketForm(models.VisibilityOwn)
		f.Set(CSRFField, admin.csrf("/admin/portal/tickets"))
		resp = admin.do("POST", "/admin/portal/tickets", f, "HX-Request", "true")
		wantStatus(t, resp, http.StatusNoContent)
		if resp.Header.Get("HX-Redirect") != "/admin/portal/tickets" {
			t.Fatalf("HX-Redirect = %q", resp.Header.Get("HX-Redirect"))
		}
	})
}

func TestPortalTicketSettingsPreview(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		w.s.staff(models.RoleAdmin, "ada@example.com")
		admin := w.s.browser()
		wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
		high := func(tk *models.Ticket) { tk.Priority = models.PriorityHigh }
		w.ticket(t, w.annC, "a1", high)
		w.ticket(t, w.annC, "a2")
		w.ticket(t, w.annC, "a3", high)
		w.ticket(t, w.benC, "b1", high)
		w.ticket(t, w.benC, "b2")
		before := settingsJSON(t, w.s)

		preview := func(f url.Values, email string) string {
			t.Helper()
			f.Set("preview", "1")
			f.Set("preview_email", email)
			resp := admin.post("/admin/portal/tickets", "/admin/portal/tickets", f)
			wantStatus(t, resp, http.StatusOK)
			if after := settingsJSON(t, w.s); after != before {
				t.Fatal("the preview saved the settings")
			}
			return readBody(t, resp)
		}
		rule := [4]string{"priority", "", "is", "high"}
		wantContains(t, preview(ticketForm(models.VisibilityOwn), "ann@acme.example"),
			"ann@acme.example would see 3 tickets of their own.", "They would have no Organisation view.", "Nothing has been saved")
		wantContains(t, preview(ticketForm(models.VisibilityOwn, rule), "ANN@acme.example"),
			"ann@acme.example would see 2 tickets of their own.")
		body := preview(ticketForm(models.VisibilityCompany, rule), "ann@acme.example")
		wantContains(t, body, "ann@acme.example would see 2 tickets of their own.", "The Organisation view would show 3 tickets.",
			`value="company" checked`, `value="high"`, `value="ann@acme.example"`)
		wantContains(t, preview(ticketForm(models.VisibilityCompany, rule), "gil@globex.example"),
			"gil@globex.example would see 0 tickets of their own.", "The Organisation view would show 0 tickets.")
		wantContains(t, preview(ticketForm(models.VisibilityCompany), "ben@acme.example"),
			"ben@acme.example would see 2 tickets of their own.", "The Organisation view would show 5 tickets.")

		// Unknown contact, and invalid rules: the reason, no count.
		body = preview(ticketForm(models.VisibilityOwn), "nobody@example.com")
		wantContains(t, body, "No contact has that e-mail address.", `id="tickets-preview-email-error"`)
		wantNotContains(t, body, `id="tickets-preview-heading"`)
		body = preview(ticketForm(models.VisibilityOwn, [4]string{"nope", "", "is", "x"}), "ann@acme.example")
		wantContains(t, body, "Choose a ticket property")
		wantNotContains(t, body, `id="tickets-preview-heading"`)
	})
}

func TestPortalTicketSettingsAccess(t *testing.T) {
	t.Parallel()
	s, admin := adminSession(t)
	wantStatus(t, admin.get("/admin/portal/tickets"), http.StatusOK)
	s.staff(models.RoleAgent, "bob@example.com")
	agent := s.browser()
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, agent.get("/admin/portal/tickets"), http.StatusForbidden)
	form := ticketForm(models.VisibilityCompany)
	form.Set(CSRFField, agent.csrf("/desk"))
	wantStatus(t, agent.do("POST", "/admin/portal/tickets", form), http.StatusForbidden)
	if p := s.portalSettings(); p.TicketVisibility != models.VisibilityOwn {
		t.Fatal("an agent changed the ticket settings")
	}
	wantLoginRedirect(t, s.browser().get("/admin/portal/tickets"))
	// Without the CSRF token even the admin is refused.
	wantStatus(t, admin.do("POST", "/admin/portal/tickets", ticketForm(models.VisibilityCompany)), http.StatusForbidden)
	// Portuguese.
	wantContains(t, readBody(t, admin.get("/admin/portal/tickets", "Accept-Language", "pt-BR")),
		`<html lang="pt-BR"`, "Permissões de tickets", "Pré-visualizar")
}

// The listing's search helper: words search the scope (internal notes never), no words list.
func TestPortalListingSearch(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		ctx := context.Background()
		printer := w.ticket(t, w.annC, "Printer jam")
		closed := w.ticket(t, w.annC, "Printer toner", func(tk *models.Ticket) { tk.StageID = w.pipe.Stages[2].ID })
		invoice := w.ticket(t, w.annC, "Invoice copy")
		w.ticket(t, w.benC, "Printer at Ben's")
		scope := models.PortalScope{ContactID: w.annC.ID}
		list := func(q, status string) []string {
			t.Helper()
			page, err := w.s.h.portalListing(ctx, scope, models.PortalQuery{View: models.ViewMine, Status: status, Limit: 25}, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range page.Rows {
				out = append(out, r.Ref())
			}
			slices.Sort(out)
			return out
		}
		sorted := func(ts ...models.Ticket) []string {
			var out []string
			for _, t := range ts {
				out = append(out, t.Ref())
			}
			slices.Sort(out)
			return out
		}
		for _, c := range []struct {
			q, status string
			want      []string
		}{
			{"printer", "", sorted(printer, closed)},
			{"printer", "open", sorted(printer)},
			{"printer", "closed", sorted(closed)},
			{"Customer says invoice", "", sorted(invoice)}, // a word of the customer's message
			{"INTERNAL CANARY", "", nil},                   // only internal notes hold it
			{"", "", sorted(printer, closed, invoice)},     // no words: the listing
			{`"*" %`, "", sorted(printer, closed, invoice)},
		} {
			if got := list(c.q, c.status); !slices.Equal(got, c.want) {
				t.Errorf("q=%q status=%q: %v, want %v", c.q, c.status, got, c.want)
			}
		}
		if got := portalSearchText(strings.Repeat("é", 300)); len([]rune(got)) != models.KBQueryMax {
			t.Errorf("search box text not cut: %d characters", len([]rune(got)))
		}
	})
}

// The page renders with its empty view model in both languages (what TestEveryTemplateRenders
// does once emptyViewModel asks ticketAdminEmptyViewModel).
func TestPortalTicketSettingsEmptyViewModel(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	for _, lang := range []string{"en", "pt-BR"} {
		b := Base{Lang: lang, Viewer: &Viewer{}, Flash: &Flash{Kind: "error", Message: "m"}, tr: s.h.tr}
		vm, ok := ticketAdminEmptyViewModel("pages/admin/portal_tickets", b)
		if !ok {
			t.Fatal("no view model for the page")
		}
		var buf strings.Builder
		if err := engine.Render(&buf, "pages/admin/portal_tickets", vm); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if out := buf.String(); strings.Contains(out, "<no value>") || messageIDLeft.MatchString(out) {
			t.Fatalf("%s: unfilled or untranslated output:\n%s", lang, out)
		}
	}
	if _, ok := ticketAdminEmptyViewModel("pages/admin/home", Base{}); ok {
		t.Fatal("claims another page")
	}
}
