package handlers

// End-to-end journeys of the customer portal in a real headless Chromium (harness in
// browser_test.go and browser_portal_test.go). Like the staff journeys, each test fails on any
// JavaScript error or Content-Security-Policy violation the pages report.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"portico/models"
	"portico/models/dbtest"
)

// TestE2EPortalRegistrationWithConsent: a newcomer finds the registration form from the
// sign-in page, fills it in with the keyboard, agrees to the admin's notice, confirms the
// e-mailed link and lands signed in; the consent record keeps the exact notice shown.
func TestE2EPortalRegistrationWithConsent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newLiveServer(t, db)
		ctx := context.Background()
		if _, err := s.app.EnsureDefaultConsent(ctx); err != nil {
			t.Fatal(err)
		}
		notice, err := s.app.Stores.Consent.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, s.url)

		if status := b.open("/portal/login"); status != http.StatusOK {
			t.Fatalf("GET /portal/login: status %d", status)
		}
		if got := b.text(`main a[href="/portal/register"]`); got != "Register here" {
			t.Fatalf("registration link text = %q", got)
		}
		b.click(`main a[href="/portal/register"]`)
		b.waitPath("/portal/register")
		if got := b.text("main h1"); got != "Create your account" {
			t.Fatalf("registration heading = %q", got)
		}
		// The checkbox shows the admin's notice and label, and is described by the notice.
		if got := b.text("#consent-notice"); !strings.Contains(got, "We process the personal data you give us") {
			t.Fatalf("consent notice shown = %q", got)
		}
		if got := b.text(`label[for="register-consent"]`); got != notice.CheckboxLabel {
			t.Fatalf("consent label = %q, want %q", got, notice.CheckboxLabel)
		}
		if v, _ := b.attr("#register-consent", "aria-describedby"); v != "consent-notice" {
			t.Fatalf("consent checkbox aria-describedby = %q", v)
		}

		b.do("fill in the registration form",
			chromedp.SendKeys(chromedp.ID("register-name"), "Rita Lobo"),
			chromedp.SendKeys(chromedp.ID("register-email"), "rita@example.com"),
			chromedp.SendKeys(chromedp.ID("register-password"), "a good long password"),
			chromedp.Focus(chromedp.ID("register-consent")),
			chromedp.KeyEvent(" "), // Space ticks a focused checkbox
		)
		if !b.checked("register-consent") {
			t.Fatal("Space did not tick the consent checkbox")
		}
		b.click("#register-form button[type=submit]")
		b.waitTrue("the check-your-e-mail message", `[...document.querySelectorAll("main h1")].some(h => h.textContent.trim() === "Check your e-mail")`)
		if n := eval[int](b, `document.querySelectorAll("footer.site-footer").length`); n != 1 {
			t.Errorf("the page has %d site footers after registering: the whole message page was swapped into the form (%q)",
				n, eval[string](b, `[...document.querySelectorAll("main h1")].map(h => h.textContent.trim()).join(" | ")`))
		}
		if n := eval[int](b, `document.querySelectorAll("#register-form").length`); n != 0 {
			t.Error("the registration form is still on the page after registering")
		}
		if s.contactCount() != 0 {
			t.Fatal("contact created before the address was proven")
		}

		link, subject := s.mailedLink(t, "rita@example.com")
		if !strings.HasPrefix(link, "/portal/verify/") {
			t.Fatalf("verification link %q (subject %q)", link, subject)
		}
		b.open(link)
		if got := b.text("main h1"); got != "Confirm your e-mail address" {
			t.Fatalf("verification heading = %q", got)
		}
		if got := b.text("main p"); !strings.Contains(got, "rita@example.com") {
			t.Fatalf("verification page does not name the address: %q", got)
		}
		if got := b.text("main form button[type=submit]"); got != "Confirm and sign in" {
			t.Fatalf("confirm button = %q", got)
		}
		b.click("main form button[type=submit]")
		b.waitPath("/portal")
		if got := b.text("main p"); got != "Welcome, Rita Lobo." {
			t.Fatalf("portal home greeting = %q", got)
		}
		if got := b.text("#flash [role=status]"); got != "Your address is confirmed and your account is ready." {
			t.Fatalf("flash after confirming = %q", got)
		}
		if got := b.text("header form.signout .who"); got != "Rita Lobo" {
			t.Fatalf("signed-in name in the header = %q", got)
		}

		c, err := s.app.Stores.Contacts.ByEmail(ctx, "rita@example.com")
		if err != nil || !c.IsVerified() || !c.CanSignIn() || c.Name != "Rita Lobo" {
			t.Fatalf("contact = %+v, %v", c, err)
		}
		recs, err := s.app.Stores.Consent.ForContact(ctx, c.ID)
		if err != nil || len(recs) != 1 {
			t.Fatalf("consent records = %+v, %v", recs, err)
		}
		r := recs[0]
		if r.Notice != notice.Notice || r.CheckboxLabel != notice.CheckboxLabel || r.Version != notice.Version ||
			r.ConsentTextID == nil || *r.ConsentTextID != notice.ID {
			t.Fatalf("consent record %+v does not keep the notice shown (%+v)", r, notice)
		}
		if r.IP != "127.0.0.1" || !strings.Contains(r.UserAgent, "Chrome") {
			t.Fatalf("consent record IP %q, user agent %q", r.IP, r.UserAgent)
		}
	})
}

// TestE2EPortalRegistrationNeedsConsent: with the browser's own check taken away, the server
// still refuses a registration without the tick, says why next to the checkbox, and neither
// stores a contact nor sends an e-mail.
func TestE2EPortalRegistrationNeedsConsent(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	if _, err := s.app.EnsureDefaultConsent(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.url)

	b.open("/portal/register")
	if _, required := b.attr("#register-consent", "required"); !required {
		t.Fatal("the consent checkbox is not required in the page")
	}
	eval[chromedp.Void](b, `document.getElementById("register-consent").removeAttribute("required"); window.__marker = 1`)
	b.do("fill in the registration form without the tick",
		chromedp.SendKeys(chromedp.ID("register-name"), "Rita"),
		chromedp.SendKeys(chromedp.ID("register-email"), "rita@example.com"),
		chromedp.SendKeys(chromedp.ID("register-password"), "a good long password"+kb.Enter),
	)
	got := b.text("#register-consent-error")
	if got != "You must agree to continue." {
		t.Fatalf("consent error = %q", got)
	}
	if !eval[bool](b, "window.__marker === 1") {
		t.Fatal("the page was reloaded: the form should come back in place (htmx)")
	}
	if v, _ := b.attr("#register-consent", "aria-invalid"); v != "true" {
		t.Fatalf("consent checkbox aria-invalid = %q, want true", v)
	}
	if v, _ := b.attr("#register-consent", "aria-describedby"); !strings.Contains(v, "register-consent-error") {
		t.Fatalf("consent checkbox aria-describedby = %q, want it to name the error", v)
	}
	if _, required := b.attr("#register-consent", "required"); !required {
		t.Fatal("the form came back without required on the checkbox")
	}
	if b.checked("register-consent") {
		t.Fatal("the checkbox came back ticked")
	}
	// What was typed is kept, except the password.
	if v := run(b, "read name", chromedp.Value(chromedp.ID("register-name"))); v != "Rita" {
		t.Fatalf("name field = %q after the error", v)
	}
	if v := run(b, "read e-mail", chromedp.Value(chromedp.ID("register-email"))); v != "rita@example.com" {
		t.Fatalf("e-mail field = %q after the error", v)
	}
	if posts := b.requestsTo("POST", "/portal/register"); len(posts) != 1 || !posts[0].htmx {
		t.Fatalf("want one htmx POST /portal/register, got %+v", posts)
	}
	if n := s.contactCount(); n != 0 {
		t.Fatalf("%d contacts stored without consent", n)
	}
	if n := s.emailCount("rita@example.com"); n != 0 {
		t.Fatalf("%d e-mails sent without consent", n)
	}
}

// TestE2EPortalInvitedListContact: the admin limits the portal to a contact list in the
// browser; the list's member without a password gets an invitation, sets a password from its
// link and is signed in. A customer outside the list who signs in gets the access-denied page
// and no session.
func TestE2EPortalInvitedListContact(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	ctx := context.Background()
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	ivy := models.Contact{Email: "ivy@example.com", Name: "Ivy", Active: true}
	if err := s.app.Stores.Contacts.Create(ctx, &ivy); err != nil {
		t.Fatal(err)
	}
	partners := models.ContactList{Name: "Partners", Kind: models.ListStatic}
	newsletter := models.ContactList{Name: "Newsletter", Kind: models.ListStatic}
	for _, l := range []*models.ContactList{&newsletter, &partners} {
		if err := s.app.Stores.Contacts.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.app.Stores.Contacts.AddToList(ctx, partners.ID, []int64{ivy.ID}, s.app.Now()); err != nil {
		t.Fatal(err)
	}
	s.customer(t, "Quinn", "quinn@example.com") // has a password, on no list
	admin := newBrowser(t, s.url)

	admin.adminSignIn("ada@example.com", pw)
	admin.open("/admin/portal/access")
	if !admin.checked("portal-mode-self") || admin.checked("portal-mode-lists") {
		t.Fatal("a fresh portal should be in self-registration mode")
	}
	listBox := "portal-list-" + itoa(int(partners.ID))
	admin.click(`label[for="portal-mode-lists"]`)
	admin.click(`label[for="` + listBox + `"]`)
	if !admin.checked("portal-mode-lists") || !admin.checked(listBox) {
		t.Fatal("clicking the labels did not choose the lists mode and the list")
	}
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal/access")
	if got := admin.text("#flash [role=status]"); got != "Portal access saved." {
		t.Fatalf("flash after saving access = %q", got)
	}
	if !admin.checked("portal-mode-lists") || !admin.checked(listBox) ||
		admin.checked("portal-list-"+itoa(int(newsletter.ID))) {
		t.Fatal("the saved access form does not show the choice")
	}
	if n := s.emailCount("ivy@example.com"); n != 1 {
		t.Fatalf("%d invitations to the list member, want 1", n)
	}
	if n := s.emailCount("quinn@example.com"); n != 0 {
		t.Fatalf("%d e-mails to a contact outside the list", n)
	}
	link, _ := s.mailedLink(t, "ivy@example.com")
	if !strings.HasPrefix(link, "/portal/invite/") {
		t.Fatalf("invitation link %q", link)
	}

	t.Run("the member sets a password from the link", func(t *testing.T) {
		b := admin.newContext(t, "ivy")
		if status := b.open(link); status != http.StatusOK {
			t.Fatalf("GET invitation: status %d", status)
		}
		if got := b.text("main h1"); got != "Set your password" {
			t.Fatalf("invitation heading = %q", got)
		}
		if got := b.text("main p"); got != "For the account ivy@example.com." {
			t.Fatalf("invitation names %q", got)
		}
		b.do("type a password", chromedp.SendKeys(chromedp.ID("new-password"), "ivy's own passphrase"+kb.Enter))
		b.waitPath("/portal")
		if got := b.text("main p"); got != "Welcome, Ivy." {
			t.Fatalf("portal home greeting = %q", got)
		}
		if got := b.text("#flash [role=status]"); got != "Your password is saved and you are signed in." {
			t.Fatalf("flash = %q", got)
		}
	})

	t.Run("a customer outside the lists is denied", func(t *testing.T) {
		b := admin.newContext(t, "quinn")
		b.expect("status of 403") // the access-denied page is a deliberate 403
		b.open("/portal/login")
		if n := eval[int](b, `document.querySelectorAll('a[href="/portal/register"]').length`); n != 0 {
			t.Fatal("the sign-in page offers registration in lists mode")
		}
		b.portalSignIn("quinn@example.com", customerPassword)
		b.waitPath("/portal/denied")
		if got := b.text("main h1"); got != "Access denied" {
			t.Fatalf("denied heading = %q", got)
		}
		if n := eval[int](b, `document.querySelectorAll("form.signout").length`); n != 0 {
			t.Fatal("the denied page shows a signed-in customer")
		}
		b.open("/portal")
		b.waitPath("/portal/login")
	})
}

// TestE2EPortalPasswordReset: a customer asks for a reset from the sign-in page, follows the
// e-mailed link, chooses a new password and is signed in; a session opened elsewhere before
// the reset is over.
func TestE2EPortalPasswordReset(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	s.customer(t, "Pat", "pat@example.com")
	b := newBrowser(t, s.url)

	elsewhere := b.newContext(t, "elsewhere")
	elsewhere.open("/portal/login")
	elsewhere.portalSignIn("pat@example.com", customerPassword)
	elsewhere.waitPath("/portal")
	if got := elsewhere.text("main p"); got != "Welcome, Pat." {
		t.Fatalf("greeting before the reset = %q", got)
	}

	b.open("/portal/login")
	if got := b.text(`main a[href="/portal/password/forgot"]`); got != "Forgot your password?" {
		t.Fatalf("forgot link text = %q", got)
	}
	b.click(`main a[href="/portal/password/forgot"]`)
	b.waitPath("/portal/password/forgot")
	if got := b.text("main h1"); got != "Reset your password" {
		t.Fatalf("forgot heading = %q", got)
	}
	b.do("ask for a link", chromedp.SendKeys(chromedp.ID("forgot-email"), "pat@example.com"+kb.Enter))
	b.waitTrue("the check-your-e-mail page", `document.querySelector("main h1")?.textContent.trim() === "Check your e-mail"`)
	link, _ := s.mailedLink(t, "pat@example.com")
	if !strings.HasPrefix(link, "/portal/password/reset/") {
		t.Fatalf("reset link %q", link)
	}

	b.open(link)
	if got := b.text("main h1"); got != "Choose a new password" {
		t.Fatalf("reset heading = %q", got)
	}
	b.do("type the new password", chromedp.SendKeys(chromedp.ID("new-password"), "a brand new passphrase"+kb.Enter))
	b.waitPath("/portal")
	if got := b.text("main p"); got != "Welcome, Pat." {
		t.Fatalf("greeting after the reset = %q", got)
	}

	// The other session ended with the reset: reloading leads to the sign-in page, where the
	// old password no longer works and the new one does.
	elsewhere.do("reload", chromedp.Reload())
	elsewhere.waitPath("/portal/login")
	if n := eval[int](elsewhere, `document.querySelectorAll("form.signout").length`); n != 0 {
		t.Fatal("still signed in elsewhere after the reset")
	}
	elsewhere.portalSignIn("pat@example.com", customerPassword)
	if got := elsewhere.text("#portal-login-error"); got != "That e-mail address and password do not match an account." {
		t.Fatalf("old password: error %q", got)
	}
	elsewhere.do("clear the e-mail", chromedp.Clear(chromedp.ID("portal-login-email")))
	elsewhere.portalSignIn("pat@example.com", "a brand new passphrase")
	elsewhere.waitPath("/portal")
}

// TestE2EPortalSwitchedOff: the admin switches the portal off; visitors get the 503
// "unavailable" page while the admin still sees the portal, marked as a preview.
func TestE2EPortalSwitchedOff(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	admin := newBrowser(t, s.url)

	admin.adminSignIn("ada@example.com", pw)
	admin.open("/admin/portal")
	if !admin.checked("portal-enabled") {
		t.Fatal("a fresh portal should be on")
	}
	admin.click(`label[for="portal-enabled"]`)
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal")
	if got := admin.text("#flash [role=status]"); got != "Portal settings saved." {
		t.Fatalf("flash = %q", got)
	}
	if admin.checked("portal-enabled") {
		t.Fatal("the portal is still shown as on")
	}

	visitor := admin.newContext(t, "visitor")
	visitor.expect("status of 503") // the unavailable page is a deliberate 503
	for _, path := range []string{"/portal/login", "/portal/register", "/portal"} {
		if status := visitor.open(path); status != http.StatusServiceUnavailable {
			t.Fatalf("visitor GET %s: status %d, want 503", path, status)
		}
		if got := visitor.text("main h1"); got != "The portal is unavailable" {
			t.Fatalf("visitor %s: heading %q", path, got)
		}
	}
	if n := eval[int](visitor, `document.querySelectorAll("#portal-login-form, #register-form").length`); n != 0 {
		t.Fatal("the unavailable page shows a form")
	}

	if status := admin.open("/portal"); status != http.StatusOK {
		t.Fatalf("admin GET /portal: status %d, want 200", status)
	}
	if got := admin.text("header .badge"); got != "Preview" {
		t.Fatalf("preview badge = %q", got)
	}
}

// TestE2EPortalCustomDomain: with a custom domain set in the admin page, a browser that
// reaches the server by that name gets the portal at the root, with its assets, and can sign
// in there; the staff address keeps the staff sign-in. Chromium resolves the domain to the
// live server twice over: help.example.test (port 80) goes to the server's port, so the
// browser sends "Host: help.example.test" as in production behind a proxy on 443, and
// help.example.test:<port> keeps the port in Host, as a portal on another port does.
func TestE2EPortalCustomDomain(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	s.customer(t, "Pat", "pat@example.com")
	_, port, _ := strings.Cut(strings.TrimPrefix(s.url, "http://"), ":")
	admin := newBrowserWith(t, s.url, chromedp.Flag("host-resolver-rules",
		"MAP help.example.test:80 127.0.0.1:"+port+", MAP help.example.test 127.0.0.1"))
	// Chromium warns that it ignores COOP on a plain-HTTP origin other than localhost: only a
	// test reaches the portal like that (production is HTTPS).
	admin.expect("Cross-Origin-Opener-Policy header has been ignored")

	admin.adminSignIn("ada@example.com", pw)
	admin.open("/admin/portal")
	admin.retype("portal-domain", "help.example.test")
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal")
	if got := admin.text("#flash [role=status]"); got != "Portal settings saved." {
		t.Fatalf("flash = %q", got)
	}

	for _, origin := range []string{"http://help.example.test", "http://help.example.test:" + port} {
		t.Run(origin, func(t *testing.T) {
			visitor := admin.newContext(t, "visitor "+origin).at(origin)
			if status := visitor.open("/"); status != http.StatusOK {
				t.Errorf("GET / on the custom domain: status %d", status)
			}
			if got := visitor.location(); got != origin+"/login?next=%2F" {
				t.Fatalf("GET %s/ ended at %s, want the portal's sign-in at /login?next=%%2F", origin, got)
			}
			visitor.waitPath("/login")
			if got := visitor.text("main h1"); got != "Sign in" {
				t.Fatalf("custom domain heading = %q", got)
			}
			if v, _ := visitor.attr("#portal-login-form", "action"); v != "/login" {
				t.Fatalf("sign-in form action = %q, want /login", v)
			}
			// The stylesheet applies (the brand colour reaches the button), htmx runs, and every
			// /static request answered 200.
			if got := eval[string](visitor, `getComputedStyle(document.querySelector("#portal-login-form button[type=submit]")).backgroundColor`); got != "rgb(29, 78, 216)" {
				t.Fatalf("sign-in button background = %q: the stylesheet did not load", got)
			}
			visitor.waitTrue("htmx", `typeof htmx === "object"`)
			statics := eval[[]string](visitor, `performance.getEntriesByType("resource").filter(e => new URL(e.name).pathname.startsWith("/static/")).map(e => e.responseStatus + " " + e.name)`)
			if len(statics) < 2 {
				t.Fatalf("static requests on the custom domain: %q", statics)
			}
			for _, r := range statics {
				if !strings.HasPrefix(r, "200 "+origin+"/static/") {
					t.Errorf("static request %s", r)
				}
			}

			visitor.portalSignIn("pat@example.com", customerPassword)
			visitor.waitPath("/")
			if got := visitor.text("main p"); got != "Welcome, Pat." {
				t.Fatalf("greeting on the custom domain = %q", got)
			}
		})
	}

	staff := admin.newContext(t, "staff-host")
	staff.open("/login")
	if n := eval[int](staff, `document.querySelectorAll("#portal-login-form").length`); n != 0 {
		t.Fatal("the staff address shows the portal's sign-in")
	}
	staff.text("#login-form")
}

// TestE2EPortalLanguage: the admin makes Portuguese the portal's language; then, with
// visitors allowed to choose, an English-speaking visitor switches to Portuguese.
func TestE2EPortalLanguage(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	admin := newBrowser(t, s.url)

	admin.adminSignIn("ada@example.com", pw)
	admin.open("/admin/portal")
	admin.do("choose Português with the keyboard", chromedp.Focus(chromedp.ID("portal-language")), chromedp.KeyEvent("P"))
	if got := run(admin, "read the language", chromedp.Value(chromedp.ID("portal-language"))); got != "pt-BR" {
		t.Fatalf("language select = %q after typing P", got)
	}
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal")
	if got := admin.text("#flash [role=status]"); got != "Portal settings saved." {
		t.Fatalf("flash = %q", got)
	}
	if got := admin.selectedText("portal-language"); got != "Português (Brasil)" {
		t.Fatalf("saved language = %q", got)
	}

	visitor := admin.newContext(t, "visitor")
	visitor.open("/portal/login")
	if got := eval[string](visitor, "document.documentElement.lang"); got != "pt-BR" {
		t.Fatalf("<html lang> = %q, want pt-BR", got)
	}
	if got := visitor.text("#portal-login-form button[type=submit]"); got != "Entrar" {
		t.Fatalf("sign-in button = %q, want Entrar", got)
	}
	if n := eval[int](visitor, `document.querySelectorAll("#portal-lang").length`); n != 0 {
		t.Fatal("a language selector is shown although visitors may not choose")
	}

	if admin.checked("portal-visitor-languages") || !admin.checked("portal-lang-en") || !admin.checked("portal-lang-pt-BR") {
		t.Fatal("unexpected visitor-language defaults")
	}
	admin.click(`label[for="portal-visitor-languages"]`)
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal")
	if got := admin.text("#flash [role=status]"); got != "Portal settings saved." {
		t.Fatalf("flash = %q", got)
	}
	if !admin.checked("portal-visitor-languages") {
		t.Fatal("visitors may choose: not saved")
	}

	// The visitor's browser asks for English, which is now among the portal's languages.
	visitor.open("/portal/login")
	if got := eval[string](visitor, "document.documentElement.lang"); got != "en" {
		t.Fatalf("<html lang> = %q for an English browser, want en", got)
	}
	if got := visitor.text("#portal-login-form button[type=submit]"); got != "Sign in" {
		t.Fatalf("sign-in button = %q, want Sign in", got)
	}
	if got := visitor.text(`label[for="portal-lang"]`); got != "Language" {
		t.Fatalf("language selector label = %q", got)
	}
	visitor.do("choose Português", chromedp.Focus(chromedp.ID("portal-lang")), chromedp.KeyEvent("P"))
	visitor.submit("form.language button[type=submit]")
	visitor.waitPath("/portal/login")
	if got := eval[string](visitor, "document.documentElement.lang"); got != "pt-BR" {
		t.Fatalf("<html lang> after choosing Português = %q", got)
	}
	if got := visitor.text("#portal-login-form button[type=submit]"); got != "Entrar" {
		t.Fatalf("sign-in button after choosing = %q, want Entrar", got)
	}
	if got := visitor.selectedText("portal-lang"); got != "Português (Brasil)" {
		t.Fatalf("selected language after choosing = %q", got)
	}
	// The choice stays.
	visitor.open("/portal/register")
	if got := eval[string](visitor, "document.documentElement.lang"); got != "pt-BR" {
		t.Fatalf("<html lang> on the next page = %q", got)
	}
}

// TestE2EPortalBranding: the primary colour set in the branding page colours the portal's
// sign-in button, and an uploaded PNG logo shows in the portal's header.
func TestE2EPortalBranding(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	admin := newBrowser(t, s.url)
	logo := writePNG(t, 48, 24)

	admin.adminSignIn("ada@example.com", pw)
	admin.open("/admin/portal/branding")
	admin.retype("branding-primary", "#aa2200")
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal/branding")
	if got := admin.text("#flash [role=status]"); got != "Branding saved." {
		t.Fatalf("flash = %q", got)
	}

	visitor := admin.newContext(t, "visitor")
	visitor.open("/portal/login")
	button := `getComputedStyle(document.querySelector("#portal-login-form button[type=submit]")).backgroundColor`
	if got := eval[string](visitor, button); got != "rgb(170, 34, 0)" {
		t.Fatalf("sign-in button background = %q, want rgb(170, 34, 0)", got)
	}
	if n := eval[int](visitor, `document.querySelectorAll("header img.brand-logo").length`); n != 0 {
		t.Fatal("a logo is shown before one was uploaded")
	}

	admin.do("choose the logo file", chromedp.SetUploadFiles(chromedp.ID("branding-logo"), []string{logo}))
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal/branding")
	if got := admin.text("#flash [role=status]"); got != "Branding saved." {
		t.Fatalf("flash after the upload = %q", got)
	}
	admin.waitTrue("the logo preview", `(i => i && i.complete && i.naturalWidth > 0)(document.querySelector("img.brand-logo-preview"))`)

	visitor.open("/portal/login")
	visitor.waitTrue("the header logo", `(i => i && i.complete && i.naturalWidth > 0)(document.querySelector("header a.brand img.brand-logo"))`)
	if w := eval[int](visitor, `document.querySelector("header a.brand img.brand-logo").naturalWidth`); w != 48 {
		t.Fatalf("logo naturalWidth = %d, want 48", w)
	}
	if got := eval[string](visitor, button); got != "rgb(170, 34, 0)" {
		t.Fatalf("sign-in button background after the upload = %q", got)
	}
}

// TestE2EPortalSlug: the admin moves the portal to /help; it answers there, the old address
// redirects, and sign-in stays under the new address.
func TestE2EPortalSlug(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	s.customer(t, "Pat", "pat@example.com")
	admin := newBrowser(t, s.url)

	admin.adminSignIn("ada@example.com", pw)
	admin.open("/admin/portal")
	admin.retype("portal-slug", "help")
	admin.submit("main form button[type=submit]")
	admin.waitPath("/admin/portal")
	if got := admin.text("#flash [role=status]"); got != "Portal settings saved." {
		t.Fatalf("flash = %q", got)
	}
	if got := admin.text("#portal-slug-hint"); !strings.Contains(got, "/portal") {
		t.Fatalf("slug hint does not list the previous address: %q", got)
	}

	visitor := admin.newContext(t, "visitor")
	if status := visitor.open("/help/login"); status != http.StatusOK {
		t.Fatalf("GET /help/login: status %d", status)
	}
	if got := visitor.text("main h1"); got != "Sign in" {
		t.Fatalf("/help/login heading = %q", got)
	}
	if v, _ := visitor.attr("#portal-login-form", "action"); v != "/help/login" {
		t.Fatalf("sign-in form action = %q", v)
	}
	if v, _ := visitor.attr(`main a[href$="/register"]`, "href"); v != "/help/register" {
		t.Fatalf("register link = %q", v)
	}

	visitor.open("/portal/login")
	visitor.waitPath("/help/login")
	visitor.text("#portal-login-form")

	visitor.portalSignIn("pat@example.com", customerPassword)
	visitor.waitPath("/help")
	if got := visitor.text("main p"); got != "Welcome, Pat." {
		t.Fatalf("greeting under /help = %q", got)
	}
}
