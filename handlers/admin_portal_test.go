package handlers

// The admin's portal settings pages and the contact page: access rules, saving through the
// forms with the CSRF token, field errors re-rendered with status 200 and nothing saved, and
// mass assignment (SECURITY AC-04).

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"portico/models"
)

// portalEmptyViewModel is the empty view model of each template this file's pages render,
// for TestEveryTemplateRenders (views_test.go: emptyViewModel can ask it first).
func portalEmptyViewModel(name string, b Base) (any, bool) {
	pa := portalAdmin{Base: b}
	switch name {
	case "pages/admin/portal_settings":
		return generalPage{portalAdmin: pa}, true
	case "pages/admin/portal_access":
		return accessPage{portalAdmin: pa}, true
	case "pages/admin/portal_consent":
		return consentPage{portalAdmin: pa}, true
	case "pages/admin/portal_branding":
		return brandingPage{portalAdmin: pa}, true
	case "partials/admin/portal_nav":
		return pa, true
	case "pages/admin/contact":
		return contactPage{Base: b}, true
	}
	return nil, false
}

// adminSession is a test server with a signed-in admin.
func adminSession(t *testing.T) (*testServer, *browser) {
	t.Helper()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	b := s.browser()
	wantStatus(t, b.login("ada@example.com", staffPassword), http.StatusSeeOther)
	return s, b
}

// post submits a form with the CSRF token of page.
func (b *browser) post(page, target string, form url.Values) *http.Response {
	b.s.t.Helper()
	form.Set(CSRFField, b.csrf(page))
	return b.do("POST", target, form)
}

// portalSettings reads the stored portal settings.
func (s *testServer) portalSettings() models.PortalSettings {
	s.t.Helper()
	p, err := s.app.Stores.Settings.Portal(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func wantRedirect(t testing.TB, resp *http.Response, to string) {
	t.Helper()
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != to {
		t.Fatalf("Location = %q, want %q", loc, to)
	}
}

func wantContains(t testing.TB, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("no %q in:\n%s", w, body)
		}
	}
}

func wantNotContains(t testing.TB, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Fatalf("%q in:\n%s", w, body)
		}
	}
}

// messageIDLeft finds a message ID shown as text (as TestEveryTemplateRenders does).
var messageIDLeft = regexp.MustCompile(`>\s*(?:[a-z_]+\.)+[a-z_0-9]+\s*<`)

var portalAdminPages = []struct{ path, tab string }{
	{"/admin/portal", "/admin/portal"},
	{"/admin/portal/access", "/admin/portal/access"},
	{"/admin/portal/consent", "/admin/portal/consent"},
	{"/admin/portal/branding", "/admin/portal/branding"},
}

func TestPortalAdminPagesRender(t *testing.T) {
	t.Parallel()
	s, admin := adminSession(t)
	s.staff(models.RoleAgent, "bob@example.com")
	agent := s.browser()
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	anon := s.browser()

	for _, p := range portalAdminPages {
		t.Run(p.path, func(t *testing.T) {
			resp := admin.get(p.path)
			wantStatus(t, resp, http.StatusOK)
			if !varyHasHXRequest(resp) {
				t.Errorf("no Vary: HX-Request")
			}
			body := readBody(t, resp)
			wantContains(t, body, `<a href="`+p.tab+`" aria-current="page">`, `<a href="/portal">View portal</a>`,
				`<a href="/admin/portal/sso">`, `name="_csrf"`, `<html lang="en"`)
			wantNotContains(t, body, "style=", "<script>", "<no value>")

			wantStatus(t, agent.get(p.path), http.StatusForbidden)
			token := agent.csrf("/desk")
			wantStatus(t, agent.do("POST", p.path, url.Values{CSRFField: {token}}), http.StatusForbidden)
			wantLoginRedirect(t, anon.get(p.path))
		})
	}
	t.Run("Portuguese", func(t *testing.T) {
		body := readBody(t, admin.get("/admin/portal", "Accept-Language", "pt-BR"))
		wantContains(t, body, `<html lang="pt-BR"`, "Ver o portal", "Configurações do portal")
	})
	t.Run("View portal follows the slug", func(t *testing.T) {
		p := s.portalSettings()
		p.Slug = "help"
		if err := s.app.SavePortal(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		wantContains(t, readBody(t, admin.get("/admin/portal/branding")), `<a href="/help">View portal</a>`)
	})
}

func TestPortalTemplatesRender(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	admin := &Viewer{Kind: models.KindStaff, Staff: &models.StaffUser{ID: 1, Name: "Ada", Role: models.RoleAdmin, Active: true}}
	names := []string{"pages/admin/portal_settings", "pages/admin/portal_access", "pages/admin/portal_consent",
		"pages/admin/portal_branding", "partials/admin/portal_nav", "pages/admin/contact"}
	for _, name := range names {
		for _, lang := range []string{"en", "pt-BR"} {
			for _, v := range []*Viewer{{}, admin} {
				vm, ok := portalEmptyViewModel(name, Base{Lang: lang, Viewer: v, tr: s.h.tr})
				if !ok {
					t.Fatalf("%s has no empty view model", name)
				}
				var buf bytes.Buffer
				if err := engine.Render(&buf, name, vm); err != nil {
					t.Fatalf("%s (%s): %v", name, lang, err)
				}
				out := buf.String()
				if strings.Contains(out, "<no value>") || strings.Contains(out, "admin.portal.") || strings.Contains(out, "admin.contact.") {
					t.Fatalf("%s (%s): unfilled or untranslated output:\n%s", name, lang, out)
				}
				if m := messageIDLeft.FindString(out); m != "" {
					t.Fatalf("%s (%s): untranslated message ID in the output: %s", name, lang, m)
				}
			}
		}
	}
	// With content: every error slot and row renders and stays translated.
	b := Base{Lang: "pt-BR", Viewer: admin, tr: s.h.tr}
	errs := map[string]string{"form": "e", "title": "e", "slug": "e", "custom_domain": "e", "language": "e",
		"languages": "e", "idle_minutes": "e", "access_mode": "e", "access_lists": "e", "notice": "e",
		"checkbox_label": "e", "primary": "e", "secondary": "e", "welcome": "e", "nav": "e", "logo": "e", "favicon": "e"}
	pa := portalAdmin{Base: b, Tab: "general", PortalURL: "/portal", Errors: errs}
	full := map[string]any{
		"pages/admin/portal_settings": generalPage{portalAdmin: pa, PreviousSlugs: []string{"old"},
			Languages: []languageOption{{Tag: "en", Name: "English", Selected: true, Enabled: true}}},
		"pages/admin/portal_access": accessPage{portalAdmin: pa, ListsMode: true,
			Lists: []listOption{{ID: 1, Name: "VIP", Members: 1, Checked: true}, {ID: 2, Name: "Rule", Members: 0, Active: true}}},
		"pages/admin/portal_consent": consentPage{portalAdmin: pa, HasCurrent: true, Version: 3, PublishedAt: time.Unix(0, 0),
			Preview: "<p>n</p>", PreviewLabel: "I agree", HasPreview: true},
		"pages/admin/portal_branding": brandingPage{portalAdmin: pa, LogoURL: "/branding/x", FaviconURL: "/branding/y",
			Nav: []navRow{{Index: 0, Number: 1, Label: "Home", URL: "/"}}},
		"pages/admin/contact": contactPage{Base: b, Company: "ACME", Verified: true,
			Records: []consentRow{{Version: 1, At: time.Unix(0, 0), IP: "192.0.2.1", Notice: "<p>n</p>", Label: "ok"}}},
	}
	for name, vm := range full {
		var buf bytes.Buffer
		if err := engine.Render(&buf, name, vm); err != nil {
			t.Fatalf("%s with content: %v", name, err)
		}
		if out := buf.String(); strings.Contains(out, "admin.portal.") || strings.Contains(out, "admin.contact.") {
			t.Fatalf("%s with content: untranslated output:\n%s", name, out)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// General settings.

func generalValues() url.Values {
	return url.Values{"title": {"ACME help"}, "slug": {"help"}, "enabled": {"true"}, "custom_domain": {"Help.Example.com"},
		"language": {"pt-BR"}, "visitor_languages": {"true"}, "languages": {"en"}, "idle_minutes": {"45"},
		"kb_show_portal_link": {"true"}}
}

func TestSavePortalGeneral(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	wantRedirect(t, b.post("/admin/portal", "/admin/portal", generalValues()), "/admin/portal")

	p := s.portalSettings()
	if p.Title != "ACME help" || p.Slug != "help" || !p.Enabled || p.CustomDomain != "help.example.com" ||
		p.Language != "pt-BR" || !p.VisitorLanguages || !reflect.DeepEqual(p.Languages, []string{"pt-BR", "en"}) ||
		p.IdleMinutes != 45 || !reflect.DeepEqual(p.PreviousSlugs, []string{"portal"}) {
		t.Fatalf("saved settings = %+v", p)
	}
	body := readBody(t, b.get("/admin/portal"))
	wantContains(t, body, "Portal settings saved.", `value="ACME help"`, `value="help"`, `value="help.example.com"`,
		`value="45"`, `<option value="pt-BR" lang="pt-BR" selected>`, `id="portal-visitor-languages" name="visitor_languages" type="checkbox" value="true" checked`,
		`id="portal-lang-en" name="languages" type="checkbox" value="en" checked`, "http://help.example.com/", "<code>/portal</code>")

	// Switching the portal off is saved too (an unticked checkbox sends nothing).
	v := generalValues()
	v.Del("enabled")
	v.Del("custom_domain")
	wantRedirect(t, b.post("/admin/portal", "/admin/portal", v), "/admin/portal")
	if p := s.portalSettings(); p.Enabled || p.CustomDomain != "" {
		t.Fatalf("after switching off: %+v", p)
	}
	wantContains(t, readBody(t, b.get("/admin/portal")), s.cfg.BaseURL+"/help")
}

func TestPortalGeneralFieldErrors(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	before := s.portalSettings()
	cases := []struct{ name, field, value, id, message string }{
		{"bad slug", "slug", "Not A Slug!", "portal-slug", "lower-case letters"},
		{"reserved slug", "slug", "admin", "portal-slug", "lower-case letters"},
		{"empty title", "title", "  ", "portal-title", "Enter a title"},
		{"bad domain", "custom_domain", "javascript:alert(1)", "portal-domain", "help.example.com"},
		{"unknown language", "language", "de", "portal-language", "English or"},
		{"timeout not a number", "idle_minutes", "soon", "portal-idle", "Use between 5 minutes"},
		{"timeout too short", "idle_minutes", "1", "portal-idle", "Use between 5 minutes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := generalValues()
			v.Set(tc.field, tc.value)
			resp := b.post("/admin/portal", "/admin/portal", v)
			wantStatus(t, resp, http.StatusOK)
			body := readBody(t, resp)
			wantContains(t, body, `id="`+tc.id+`-error">`, tc.message, `aria-invalid="true"`, tc.id+`-error"`)
			if !reflect.DeepEqual(s.portalSettings(), before) {
				t.Fatalf("settings changed by a refused form: %+v", s.portalSettings())
			}
		})
	}
	t.Run("the entered values stay in the form", func(t *testing.T) {
		v := generalValues()
		v.Set("slug", "Bad Slug")
		wantContains(t, readBody(t, b.post("/admin/portal", "/admin/portal", v)), `value="ACME help"`, `value="Bad Slug"`)
	})
}

// SECURITY AC-04: fields the general form does not show cannot be set through it.
func TestPortalGeneralIgnoresExtraFields(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	before := s.portalSettings()
	v := generalValues()
	v.Set("slug", before.Slug) // so that PreviousSlugs legitimately stays as it is
	for k, vals := range map[string][]string{
		"previous_slugs": {"admin", "evil"}, "PreviousSlugs": {"evil"}, "sso.jwt_enabled": {"true"},
		"sso.jwt_secret": {"attacker"}, "SSO.JWTEnabled": {"true"}, "access_lists": {"1", "2"}, "access_mode": {"lists"},
		"branding.primary": {"#000000"}, "primary": {"#000000"}, "branding.logo_id": {strings.Repeat("ab", 16)},
	} {
		v[k] = vals
	}
	wantRedirect(t, b.post("/admin/portal", "/admin/portal", v), "/admin/portal")
	want := before
	want.Title, want.Enabled, want.CustomDomain, want.Language = "ACME help", true, "help.example.com", "pt-BR"
	want.VisitorLanguages, want.Languages, want.IdleMinutes = true, []string{"pt-BR", "en"}, 45
	got := s.portalSettings()
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatalf("settings after a form with extra fields:\n got %s\nwant %s", gj, wj)
	}
}

// ---------------------------------------------------------------------------------------------
// Access.

func TestSavePortalAccess(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	ctx := context.Background()
	c := models.Contact{Email: "c@example.com", Name: "C", Active: true}
	if err := s.app.Stores.Contacts.Create(ctx, &c); err != nil {
		t.Fatal(err)
	}
	vip := models.ContactList{Name: "VIP <customers>", Kind: models.ListStatic}
	other := models.ContactList{Name: "Partners", Kind: models.ListStatic}
	for _, l := range []*models.ContactList{&vip, &other} {
		if err := s.app.Stores.Contacts.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.app.Stores.Contacts.AddToList(ctx, vip.ID, []int64{c.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}

	body := readBody(t, b.get("/admin/portal/access"))
	wantContains(t, body, "VIP &lt;customers&gt;", "(1 member)", "Partners", "(0 members)",
		`value="self_registration" checked`)
	wantNotContains(t, body, "VIP <customers>")

	t.Run("lists mode needs a list", func(t *testing.T) {
		before := s.portalSettings()
		resp := b.post("/admin/portal/access", "/admin/portal/access", url.Values{"access_mode": {"lists"}, "access_lists": {"999"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, readBody(t, resp), `id="portal-lists-error"`, "Choose at least one contact list.")
		if !reflect.DeepEqual(s.portalSettings(), before) {
			t.Fatal("refused form changed the settings")
		}
	})
	t.Run("bad mode", func(t *testing.T) {
		resp := b.post("/admin/portal/access", "/admin/portal/access", url.Values{"access_mode": {"everyone"}})
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, readBody(t, resp), `id="portal-mode-error"`)
	})
	t.Run("save lists mode", func(t *testing.T) {
		form := url.Values{"access_mode": {"lists"}, "access_lists": {itoa(int(vip.ID)), "999", itoa(int(vip.ID))},
			"title": {"hijack"}, "sso.audience_lists": {"1"}}
		wantRedirect(t, b.post("/admin/portal/access", "/admin/portal/access", form), "/admin/portal/access")
		p := s.portalSettings()
		if p.AccessMode != models.AccessLists || !reflect.DeepEqual(p.AccessLists, []int64{vip.ID}) ||
			p.Title != models.DefaultPortalSettings().Title || len(p.SSO.AudienceLists) != 0 {
			t.Fatalf("saved = %+v", p)
		}
		body := readBody(t, b.get("/admin/portal/access"))
		wantContains(t, body, "Portal access saved.", `value="lists" checked`,
			`name="access_lists" type="checkbox" value="`+itoa(int(vip.ID))+`" checked`)
		wantNotContains(t, body, `value="`+itoa(int(other.ID))+`" checked`)
	})
	t.Run("back to self-registration", func(t *testing.T) {
		wantRedirect(t, b.post("/admin/portal/access", "/admin/portal/access", url.Values{"access_mode": {"self_registration"}}), "/admin/portal/access")
		if p := s.portalSettings(); p.AccessMode != models.AccessSelfRegistration {
			t.Fatalf("saved = %+v", p)
		}
	})
	t.Run("not a number", func(t *testing.T) {
		resp := b.post("/admin/portal/access", "/admin/portal/access", url.Values{"access_mode": {"lists"}, "access_lists": {"1 OR 1=1"}})
		wantStatus(t, resp, http.StatusBadRequest)
	})
}

// ---------------------------------------------------------------------------------------------
// Consent.

func TestConsentSettings(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	ctx := context.Background()

	body := readBody(t, b.get("/admin/portal/consent"))
	wantContains(t, body, "No consent text is published yet", "Registration shows no consent checkbox.")

	notice := `<p>We keep your data. <a href="https://example.com/p" hx-get="/admin" onclick="x()">Policy</a>` +
		`<a href="javascript:alert(1)">bad</a><img src=x onerror=alert(1)><script>alert(2)</script></p>`
	wantNotice := `<p>We keep your data. <a href="https://example.com/p" rel="nofollow noreferrer noopener" target="_blank">Policy</a>bad</p>`

	// A notice without a label is refused and publishes nothing.
	resp := b.post("/admin/portal/consent", "/admin/portal/consent", url.Values{"notice": {notice}})
	wantStatus(t, resp, http.StatusOK)
	body = readBody(t, resp)
	wantContains(t, body, `id="consent-label-error"`, "Enter a checkbox label", `hx-disable`, wantNotice)
	// The raw notice is in the textarea, escaped; nothing of it is live markup.
	wantNotContains(t, body, "<script>alert", "<img src=x onerror", `hx-get="/admin"`)
	if n := countRows(t, s.app.Stores.DB, "consent_texts"); n != 0 {
		t.Fatalf("%d consent versions after a refused form", n)
	}

	form := url.Values{"notice": {notice}, "checkbox_label": {"I agree <b>now</b>"}, "version": {"99"}, "created_by_id": {"7"}}
	wantRedirect(t, b.post("/admin/portal/consent", "/admin/portal/consent", form), "/admin/portal/consent")
	cur, err := s.app.Stores.Consent.Current(ctx)
	if err != nil || cur.Version != 1 || cur.Notice != wantNotice || cur.CheckboxLabel != "I agree <b>now</b>" ||
		cur.CreatedByID == nil {
		t.Fatalf("published = %+v, %v", cur, err)
	}
	body = readBody(t, b.get("/admin/portal/consent"))
	wantContains(t, body, "A new version of the consent text is published.", "Current version: 1, published",
		`<div class="consent-notice" id="consent-preview-notice">`+wantNotice+`</div>`,
		`<label for="consent-preview-box">I agree &lt;b&gt;now&lt;/b&gt;</label>`, `<fieldset class="consent" hx-disable>`)

	// Saving the same again publishes nothing; a change publishes version 2.
	wantRedirect(t, b.post("/admin/portal/consent", "/admin/portal/consent", form), "/admin/portal/consent")
	wantContains(t, readBody(t, b.get("/admin/portal/consent")), "no new version was published", "Current version: 1,")
	form.Set("checkbox_label", "I agree")
	wantRedirect(t, b.post("/admin/portal/consent", "/admin/portal/consent", form), "/admin/portal/consent")
	wantContains(t, readBody(t, b.get("/admin/portal/consent")), "Current version: 2,")
	if n := countRows(t, s.app.Stores.DB, "consent_texts"); n != 2 {
		t.Fatalf("%d consent versions, want 2", n)
	}

	resp = b.post("/admin/portal/consent", "/admin/portal/consent", url.Values{"notice": {"x"}, "checkbox_label": {strings.Repeat("a", 201)}})
	wantStatus(t, resp, http.StatusOK)
	wantContains(t, readBody(t, resp), "at most 200 characters", `aria-invalid="true"`)
}

// ---------------------------------------------------------------------------------------------
// Contact page.

func TestAdminContactPage(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	ctx := context.Background()
	co := models.Company{Name: "ACME & Co"}
	if err := s.app.Stores.Companies.Create(ctx, &co); err != nil {
		t.Fatal(err)
	}
	verified := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := models.Contact{Email: "ana@example.com", Name: "Ana <Silva>", Active: true, CompanyID: &co.ID, EmailVerifiedAt: &verified}
	if err := s.app.Stores.Contacts.Create(ctx, &c); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	// A record written by any path is shown sanitised: the page never trusts stored HTML.
	rec := models.ConsentRecord{ContactID: c.ID, Version: 3, Notice: `<p>Keep <a href="https://example.com">this</a><script>alert(1)</script></p>`,
		CheckboxLabel: "I <agree>", IP: "192.0.2.7", CreatedAt: at}
	if err := s.app.Stores.Consent.Record(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	resp := b.get("/admin/contacts/" + itoa(int(c.ID)))
	wantStatus(t, resp, http.StatusOK)
	body := readBody(t, resp)
	wantContains(t, body, "<title>Ana &lt;Silva&gt; · Portico</title>", `<dd id="contact-email">ana@example.com</dd>`,
		`<dd id="contact-company">ACME &amp; Co</dd>`, `<dd id="contact-verified">Yes</dd>`,
		`<td>3</td>`, `2026-03-04T05:06:07Z`, `<code>192.0.2.7</code>`, `I &lt;agree&gt;`,
		`<div class="consent-notice" hx-disable><p>Keep <a href="https://example.com" rel="nofollow noreferrer noopener" target="_blank">this</a></p></div>`)
	wantNotContains(t, body, "<script>alert(1)")

	other := models.Contact{Email: "bo@example.com", Name: "Bo", Active: true}
	if err := s.app.Stores.Contacts.Create(ctx, &other); err != nil {
		t.Fatal(err)
	}
	body = readBody(t, b.get("/admin/contacts/"+itoa(int(other.ID))))
	wantContains(t, body, `<dd id="contact-verified">No</dd>`, "No consent recorded for this contact.", `<dd id="contact-company">None</dd>`)

	for _, id := range []string{"999999", "0", "-1", "abc", "1%20OR%201=1", "9223372036854775808"} {
		if got := b.get("/admin/contacts/" + id).StatusCode; got != http.StatusNotFound {
			t.Errorf("GET /admin/contacts/%s = %d, want 404", id, got)
		}
	}
	s.staff(models.RoleAgent, "bob@example.com")
	agent := s.browser()
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, agent.get("/admin/contacts/"+itoa(int(c.ID))), http.StatusForbidden)
	wantLoginRedirect(t, s.browser().get("/admin/contacts/"+itoa(int(c.ID))))
}
