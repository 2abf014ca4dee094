package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// lastEmail returns the newest outgoing e-mail to an address (subject, text), or fails.
func (s *testServer) lastEmail(to string) (string, string) {
	s.t.Helper()
	var row struct{ Subject, TextBody string }
	err := s.app.Stores.DB.Gorm.Raw(`SELECT subject, text_body FROM outbox_emails WHERE to_addr = ? ORDER BY id DESC LIMIT 1`, to).
		Scan(&row).Error
	if err != nil || row.TextBody == "" {
		s.t.Fatalf("no e-mail to %s (%v)", to, err)
	}
	return row.Subject, row.TextBody
}

// emailCount counts outgoing e-mails to an address.
func (s *testServer) emailCount(to string) int64 {
	var n int64
	s.app.Stores.DB.Gorm.Raw(`SELECT COUNT(*) FROM outbox_emails WHERE to_addr = ?`, to).Scan(&n)
	return n
}

var linkRe = regexp.MustCompile(`http://localhost:8080(/[^\s]+)`)

// linkIn returns the path of the first Portico link in an e-mail body.
func linkIn(t testing.TB, body string) string {
	t.Helper()
	m := linkRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in e-mail:\n%s", body)
	}
	return m[1]
}

func (b *browser) postForm(path string, form url.Values, extra ...string) *http.Response {
	b.s.t.Helper()
	form.Set("_csrf", b.csrf("/portal/login"))
	return b.do("POST", path, form, extra...)
}

func registerForm(name, email, password string, consent bool) url.Values {
	f := url.Values{"name": {name}, "email": {email}, "password": {password}}
	if consent {
		f.Set("consent", "yes")
	}
	return f
}

func (s *testServer) contactCount() int64 {
	var n int64
	s.app.Stores.DB.Gorm.Model(&models.Contact{}).Count(&n)
	return n
}

func TestRegistrationJourney(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newTestServer(t, db, testConfig(t))
		ctx := context.Background()
		if _, err := s.app.EnsureDefaultConsent(ctx); err != nil {
			t.Fatal(err)
		}
		b := s.browser()
		body := readBody(t, b.get("/portal/register"))
		for _, want := range []string{`name="consent"`, "I agree that my data is processed", "We process the personal data"} {
			if !strings.Contains(body, want) {
				t.Fatalf("registration form lacks %q", want)
			}
		}

		// Without the tick: the form again, nothing stored, nothing sent.
		resp := b.postForm("/portal/register", registerForm("Rita", "rita@example.com", "a good long password", false))
		wantStatus(t, resp, http.StatusOK)
		if !strings.Contains(readBody(t, resp), "You must agree to continue") {
			t.Fatal("missing consent error")
		}
		if s.contactCount() != 0 || s.emailCount("rita@example.com") != 0 {
			t.Fatal("registration without consent stored or sent something")
		}

		resp = b.postForm("/portal/register", registerForm("Rita", "Rita@Example.com", "a good long password", true))
		wantStatus(t, resp, http.StatusOK)
		if !strings.Contains(readBody(t, resp), "Check your e-mail") {
			t.Fatal("no check-your-e-mail page")
		}
		if s.contactCount() != 0 {
			t.Fatal("contact created before the address was proven")
		}
		_, mailBody := s.lastEmail("rita@example.com")
		link := linkIn(t, mailBody)
		if !strings.HasPrefix(link, "/portal/verify/") {
			t.Fatalf("verification link %q", link)
		}
		// Opening the link (as a mail scanner would) consumes nothing.
		for range 2 {
			resp = b.get(link)
			wantStatus(t, resp, http.StatusOK)
			if !strings.Contains(readBody(t, resp), "rita@example.com") {
				t.Fatal("confirmation page does not name the address")
			}
		}
		token := b.csrf(link)
		resp = b.do("POST", link, url.Values{"_csrf": {token}})
		wantStatus(t, resp, http.StatusSeeOther)
		if resp.Header.Get("Location") != "/portal" {
			t.Fatalf("after verification: Location %q", resp.Header.Get("Location"))
		}
		home := readBody(t, b.get("/portal"))
		if !strings.Contains(home, "Welcome, Rita.") {
			t.Fatal("not signed in after verification")
		}
		c, err := s.app.Stores.Contacts.ByEmail(ctx, "rita@example.com")
		if err != nil || !c.IsVerified() || !c.CanSignIn() {
			t.Fatalf("contact = %+v, %v", c, err)
		}
		recs, _ := s.app.Stores.Consent.ForContact(ctx, c.ID)
		if len(recs) != 1 || recs[0].Version != 1 || !strings.Contains(recs[0].Notice, "We process the personal data") ||
			recs[0].IP == "" || recs[0].CheckboxLabel == "" {
			t.Fatalf("consent records = %+v", recs)
		}
		// The link is single-use.
		other := s.browser()
		resp = other.do("POST", link, url.Values{"_csrf": {other.csrf("/portal/login")}})
		wantStatus(t, resp, http.StatusNotFound)
	})
}

func TestRegisterExistingAccountAnswersTheSame(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	s.app.EnsureDefaultConsent(ctx)
	register := func(email string) string {
		resp := s.browser().postForm("/portal/register", registerForm("Sam", email, "a good long password", true))
		wantStatus(t, resp, http.StatusOK)
		return normalise(readBody(t, resp))
	}
	// An account with a password.
	register("sam@example.com")
	_, body := s.lastEmail("sam@example.com")
	b := s.browser()
	b.do("POST", linkIn(t, body), url.Values{"_csrf": {b.csrf("/portal/login")}})

	fresh := register("new@example.com")
	known := register("sam@example.com")
	if fresh != known {
		t.Fatalf("registration answers differ for a known and an unknown address:\n%s\n----\n%s", fresh, known)
	}
	subject, body := s.lastEmail("sam@example.com")
	if !strings.Contains(subject, "tried to register") || strings.Contains(body, "/verify/") {
		t.Fatalf("known address got %q:\n%s", subject, body)
	}
	if !strings.Contains(body, "http://localhost:8080/portal/password/forgot") {
		t.Fatal("notice does not offer a reset link")
	}
}

func TestRegistrationProvesAddressOfExistingContact(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	agentMade := models.Contact{Email: "olga@example.com", Name: "Olga", Active: true}
	if err := s.app.Stores.Contacts.Create(ctx, &agentMade); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.postForm("/portal/register", registerForm("Olga K.", "olga@example.com", "a good long password", false))
	got, _ := s.app.Stores.Contacts.ByEmail(ctx, "olga@example.com")
	if got.CanSignIn() {
		t.Fatal("typing the address gave the existing contact a password")
	}
	_, body := s.lastEmail("olga@example.com")
	b.do("POST", linkIn(t, body), url.Values{"_csrf": {b.csrf("/portal/login")}})
	got, _ = s.app.Stores.Contacts.ByEmail(ctx, "olga@example.com")
	if !got.CanSignIn() || !got.IsVerified() || got.ID != agentMade.ID {
		t.Fatalf("after proof: %+v", got)
	}
}

// registeredContact makes a verified contact with a password through the real journey.
func registeredContact(t *testing.T, s *testServer, email string) {
	t.Helper()
	b := s.browser()
	b.postForm("/portal/register", registerForm("Pat", email, "a good long password", true))
	_, body := s.lastEmail(email)
	resp := b.do("POST", linkIn(t, body), url.Values{"_csrf": {b.csrf("/portal/login")}})
	wantStatus(t, resp, http.StatusSeeOther)
}

func (b *browser) portalLogin(email, password string) *http.Response {
	return b.postForm("/portal/login", url.Values{"email": {email}, "password": {password}})
}

func TestPortalLoginAndAccessLists(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	registeredContact(t, s, "pat@example.com")
	registeredContact(t, s, "quinn@example.com")

	b := s.browser()
	wantStatus(t, b.get("/portal"), http.StatusSeeOther) // anonymous → sign in
	resp := b.portalLogin("pat@example.com", "wrong password here")
	wantStatus(t, resp, http.StatusOK)
	if !strings.Contains(readBody(t, resp), "do not match an account") {
		t.Fatal("no error for a wrong password")
	}
	resp = b.portalLogin("pat@example.com", "a good long password")
	wantStatus(t, resp, http.StatusSeeOther)
	wantStatus(t, b.get("/portal"), http.StatusOK)
	// A customer session is not a staff session.
	wantStatus(t, b.get("/desk"), http.StatusSeeOther)

	// Lists mode: only members get in; others see the access-denied page and no session.
	list := models.ContactList{Name: "Customers", Kind: models.ListStatic}
	s.app.Stores.Contacts.CreateList(ctx, &list)
	pat, _ := s.app.Stores.Contacts.ByEmail(ctx, "pat@example.com")
	s.app.Stores.Contacts.AddToList(ctx, list.ID, []int64{pat.ID}, time.Now())
	p, _ := s.app.Portal(ctx)
	p.AccessMode, p.AccessLists = models.AccessLists, []int64{list.ID}
	if err := s.app.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
	q := s.browser()
	resp = q.portalLogin("quinn@example.com", "a good long password")
	if resp.Header.Get("Location") != "/portal/denied" {
		t.Fatalf("non-member: Location %q", resp.Header.Get("Location"))
	}
	wantStatus(t, q.get("/portal/denied"), http.StatusForbidden)
	wantStatus(t, q.get("/portal"), http.StatusSeeOther)
	m := s.browser()
	wantStatus(t, m.portalLogin("pat@example.com", "a good long password"), http.StatusSeeOther)
	wantStatus(t, m.get("/portal"), http.StatusOK)
	// Registration is closed in lists mode.
	wantStatus(t, s.browser().get("/portal/register"), http.StatusSeeOther)
}

func TestPasswordResetJourney(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newTestServer(t, db, testConfig(t))
		registeredContact(t, s, "pat@example.com")
		elsewhere := s.browser()
		wantStatus(t, elsewhere.portalLogin("pat@example.com", "a good long password"), http.StatusSeeOther)

		b := s.browser()
		// The link is built from the configured base URL, whatever Host the request names.
		resp := b.postForm("/portal/password/forgot", url.Values{"email": {"pat@example.com"}},
			"X-Forwarded-Host", "evil.example")
		wantStatus(t, resp, http.StatusOK)
		known := normalise(readBody(t, resp))
		_, body := s.lastEmail("pat@example.com")
		if strings.Contains(body, "evil.example") {
			t.Fatal("reset link follows a forwarded host")
		}
		link := linkIn(t, body)
		unknown := normalise(readBody(t, b.postForm("/portal/password/forgot", url.Values{"email": {"nobody@example.com"}})))
		if known != unknown || s.emailCount("nobody@example.com") != 0 {
			t.Fatal("reset request reveals whether an account exists")
		}

		// A weak password is refused without using up the link.
		resp = b.do("POST", link, url.Values{"_csrf": {b.csrf(link)}, "password": {"short"}})
		wantStatus(t, resp, http.StatusOK)
		if !strings.Contains(readBody(t, resp), "at least 8 characters") {
			t.Fatal("no password error")
		}
		resp = b.do("POST", link, url.Values{"_csrf": {b.csrf(link)}, "password": {"a brand new passphrase"}})
		wantStatus(t, resp, http.StatusSeeOther)
		wantStatus(t, b.get("/portal"), http.StatusOK)
		// Other sessions ended; the old password is gone; the link is spent.
		wantStatus(t, elsewhere.get("/portal"), http.StatusSeeOther)
		if s.browser().portalLogin("pat@example.com", "a good long password").StatusCode != http.StatusOK {
			t.Fatal("old password still works")
		}
		wantStatus(t, s.browser().portalLogin("pat@example.com", "a brand new passphrase"), http.StatusSeeOther)
		wantStatus(t, s.browser().get(link), http.StatusNotFound)
	})
}

func TestResetLinkExpiresAfterAnHour(t *testing.T) {
	s := newSQLiteServer(t)
	registeredContact(t, s, "pat@example.com")
	b := s.browser()
	b.postForm("/portal/password/forgot", url.Values{"email": {"pat@example.com"}})
	_, body := s.lastEmail("pat@example.com")
	link := linkIn(t, body)
	s.clock.Advance(59 * time.Minute)
	wantStatus(t, b.get(link), http.StatusOK)
	s.clock.Advance(2 * time.Minute)
	wantStatus(t, b.get(link), http.StatusNotFound)
	for _, bad := range []string{"/portal/password/reset/", "/portal/password/reset/x", "/portal/password/reset/" + strings.Repeat("A", 43)} {
		if code := b.get(bad).StatusCode; code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", bad, code)
		}
	}
}

func TestInvitationJourney(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	c := models.Contact{Email: "ivy@example.com", Name: "Ivy", Active: true}
	s.app.Stores.Contacts.Create(ctx, &c)
	list := models.ContactList{Name: "Partners", Kind: models.ListStatic}
	s.app.Stores.Contacts.CreateList(ctx, &list)
	s.app.Stores.Contacts.AddToList(ctx, list.ID, []int64{c.ID}, time.Now())
	p, _ := s.app.Portal(ctx)
	p.AccessMode, p.AccessLists = models.AccessLists, []int64{list.ID}
	s.app.SavePortal(ctx, p)
	n, err := s.app.InviteAccessLists(ctx, p)
	if err != nil || n != 1 {
		t.Fatalf("invitations = %d, %v", n, err)
	}
	if n, _ := s.app.InviteAccessLists(ctx, p); n != 0 {
		t.Fatal("a pending invitation was sent again")
	}
	_, body := s.lastEmail("ivy@example.com")
	link := linkIn(t, body)
	b := s.browser()
	resp := b.do("POST", link, url.Values{"_csrf": {b.csrf(link)}, "password": {"ivy's own passphrase"}})
	wantStatus(t, resp, http.StatusSeeOther)
	wantStatus(t, b.get("/portal"), http.StatusOK)
}

func TestPortalSwitchedOff(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	p, _ := s.app.Portal(ctx)
	p.Enabled = false
	s.app.SavePortal(ctx, p)
	resp := s.browser().get("/portal/login")
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if !strings.Contains(readBody(t, resp), "The portal is unavailable") {
		t.Fatal("no unavailable page")
	}
	s.staff(models.RoleAdmin, "ada@example.com")
	admin := s.browser()
	admin.login("ada@example.com", "correct horse battery")
	resp = admin.get("/portal")
	wantStatus(t, resp, http.StatusOK) // preview
	if !strings.Contains(readBody(t, resp), "Preview") {
		t.Fatal("admin preview not marked")
	}
}

func TestPortalSlugAndCustomDomain(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	p, _ := s.app.Portal(ctx)
	p.Slug = "help"
	if err := s.app.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	wantStatus(t, b.get("/help/login"), http.StatusOK)
	resp := b.get("/portal/login?next=%2Fhelp")
	wantStatus(t, resp, http.StatusMovedPermanently)
	if resp.Header.Get("Location") != "/help/login?next=%2Fhelp" {
		t.Fatalf("old address → %q", resp.Header.Get("Location"))
	}
	if !strings.Contains(readBody(t, b.get("/help/login")), `action="/help/login"`) {
		t.Fatal("form does not post to the slug's address")
	}
	p, _ = s.app.Portal(ctx)
	p.Slug = "support"
	s.app.SavePortal(ctx, p)
	if loc := b.get("/help/register").Header.Get("Location"); loc != "/support/register" {
		t.Fatalf("previous slug → %q", loc)
	}

	p, _ = s.app.Portal(ctx)
	p.CustomDomain = "help.example.com"
	s.app.SavePortal(ctx, p)
	resp = b.get("/login", "Host", "help.example.com")
	wantStatus(t, resp, http.StatusOK)
	body := readBody(t, resp)
	if !strings.Contains(body, `id="portal-login-form"`) || !strings.Contains(body, `action="/login"`) {
		t.Fatalf("custom domain does not serve the portal at /:\n%s", body)
	}
	wantStatus(t, b.get("/login"), http.StatusOK) // the staff sign-in elsewhere
	if strings.Contains(readBody(t, b.get("/login")), "portal-login-form") {
		t.Fatal("staff host shows the portal")
	}
	wantStatus(t, b.get(s.h.assets.url("css/app.css"), "Host", "help.example.com"), http.StatusOK)
	// A port in Host (a proxy on another port) still names the custom domain.
	if !strings.Contains(readBody(t, b.get("/login", "Host", "help.example.com:8443")), `id="portal-login-form"`) {
		t.Fatal("custom domain with a port not recognised")
	}
	// E-mail links point at the custom domain, built from configuration alone.
	hash, _ := app.HashPassword("a good long password")
	now := time.Now()
	s.app.Stores.Contacts.Create(ctx, &models.Contact{Email: "pat@example.com", Name: "Pat", PasswordHash: hash,
		EmailVerifiedAt: &now, Active: true})
	token := csrfRe.FindStringSubmatch(readBody(t, b.get("/login", "Host", "help.example.com")))[1]
	b.do("POST", "/password/forgot", url.Values{"_csrf": {token}, "email": {"pat@example.com"}}, "Host", "help.example.com")
	if _, body := s.lastEmail("pat@example.com"); !strings.Contains(body, "http://help.example.com/password/reset/") {
		t.Fatalf("reset link does not use the custom domain:\n%s", body)
	}
}

func TestPortalLanguage(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	p, _ := s.app.Portal(ctx)
	p.Language = "pt-BR"
	s.app.SavePortal(ctx, p)
	body := readBody(t, s.browser().get("/portal/login", "Accept-Language", "en"))
	if !strings.Contains(body, `lang="pt-BR"`) || !strings.Contains(body, "Esqueceu sua senha?") {
		t.Fatal("portal not in the admin's language")
	}
	p.VisitorLanguages, p.Languages = true, []string{"en", "pt-BR"}
	s.app.SavePortal(ctx, p)
	b := s.browser()
	if body := readBody(t, b.get("/portal/login", "Accept-Language", "en-GB")); !strings.Contains(body, "Forgot your password?") {
		t.Fatal("visitor's browser language not used")
	}
	resp := b.do("POST", "/portal/language", url.Values{"_csrf": {b.csrf("/portal/login")}, "lang": {"pt-BR"}, "next": {"/portal/login"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if body := readBody(t, b.get("/portal/login", "Accept-Language", "en-GB")); !strings.Contains(body, "Esqueceu sua senha?") {
		t.Fatal("visitor's choice not kept")
	}
}

func TestPortalIdleTimeout(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	p, _ := s.app.Portal(ctx)
	p.IdleMinutes = 10
	s.app.SavePortal(ctx, p)
	registeredContact(t, s, "pat@example.com")
	b := s.browser()
	b.portalLogin("pat@example.com", "a good long password")
	s.clock.Advance(9 * time.Minute)
	wantStatus(t, b.get("/portal"), http.StatusOK)
	s.clock.Advance(10*time.Minute + time.Second)
	resp := b.get("/portal", "HX-Request", "true")
	wantStatus(t, resp, http.StatusUnauthorized)
	if !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/portal/login") {
		t.Fatalf("HX-Redirect = %q", resp.Header.Get("HX-Redirect"))
	}
}

var volatileRe = regexp.MustCompile(`(value|nonce)="[^"]*"|"X-CSRF-Token": "[^"]*"|<code>[^<]*</code>`)

// normalise removes per-request values (tokens, nonces, request ids) from a page.
func normalise(body string) string { return volatileRe.ReplaceAllString(body, "") }
