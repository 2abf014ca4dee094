package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// TestStaffInvitationFlow: an admin invites an agent; the e-mailed link (built from the base
// URL) shows whose password it sets, refuses a weak password without being used up, sets a
// good one, signs the agent in on the desk, and never works twice. Links expire after 72 hours.
func TestStaffInvitationFlow(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		ctx := context.Background()
		invite := func(name, email string) string {
			t.Helper()
			form := url.Values{"name": {name}, "email": {email}, "role": {"agent"}, CSRFField: {f.token}}
			resp := f.admin.do("POST", "/admin/staff/new", form, "Host", "evil.example", "X-Forwarded-Host", "evil.example")
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/staff/") {
				t.Fatalf("invite: %d to %q", resp.StatusCode, loc)
			}
			_, text := f.s.lastEmail(email)
			return linkIn(t, text)
		}
		link := invite("Cy Young", "cy@example.com")
		if !strings.HasPrefix(link, "/staff/invite/") {
			t.Fatalf("invitation link %q", link)
		}

		cy := f.s.browser()
		resp := cy.get(link)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Account of Cy Young (cy@example.com).") ||
			!strings.Contains(body, `action="`+link+`"`) {
			t.Fatalf("invitation page: %d\n%s", resp.StatusCode, body)
		}
		token := cy.csrf(link)
		resp = cy.do("POST", link, url.Values{CSRFField: {token}, "password": {"short"}})
		body = readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="staff-new-password-error"`) {
			t.Fatalf("weak password: %d\n%s", resp.StatusCode, body)
		}
		resp = cy.do("POST", link, url.Values{"password": {"cy's own passphrase"}})
		wantStatus(t, resp, http.StatusForbidden) // no CSRF token
		resp = cy.do("POST", link, url.Values{CSRFField: {token}, "password": {"cy's own passphrase"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/desk" {
			t.Fatalf("after accepting: redirected to %q, want /desk", loc)
		}
		wantStatus(t, cy.get("/desk"), http.StatusOK)
		u, err := f.s.app.Stores.Staff.ByEmail(ctx, "cy@example.com")
		if err != nil || !u.CanSignIn() {
			t.Fatalf("invited user after accepting: %+v, %v", u, err)
		}

		// Single use, whichever way it is tried again.
		wantStatus(t, f.s.browser().get(link), http.StatusNotFound)
		other := f.s.browser()
		resp = other.do("POST", link, url.Values{CSRFField: {other.csrf("/login")}, "password": {"an attacker's password"}})
		wantStatus(t, resp, http.StatusNotFound)
		signIn := f.s.browser()
		wantStatus(t, signIn.login("cy@example.com", "cy's own passphrase"), http.StatusSeeOther)

		// Expiry on the fake clock: valid at 72 hours less a second, dead one second after.
		link = invite("Dee", "dee@example.com")
		f.s.clock.Advance(72*time.Hour - time.Second)
		wantStatus(t, f.s.browser().get(link), http.StatusOK)
		f.s.clock.Advance(2 * time.Second)
		resp = f.s.browser().get(link)
		body = readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "This link no longer works") {
			t.Fatalf("expired invitation: %d\n%s", resp.StatusCode, body)
		}

		// A deactivated invitee's link stops working; junk tokens are plain 404s.
		f.relogin()
		link = invite("Eve", "eve@example.com")
		eve, _ := f.s.app.Stores.Staff.ByEmail(ctx, "eve@example.com")
		if err := f.s.app.SetStaffActive(ctx, f.ada, eve.ID, false); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, f.s.browser().get(link), http.StatusNotFound)
		for _, p := range []string{"/staff/invite/x", "/staff/invite/" + strings.Repeat("A", 43), "/staff/invite/"} {
			wantStatus(t, f.s.browser().get(p), http.StatusNotFound)
		}
	})
}

// TestStaffPasswordReset covers AUTH-02 and AUTH-04 for staff: the same answer for known and
// unknown addresses, a link built from the base URL, single use, 60 minutes, other sessions
// ended, the login throttle lifted, and the mail rate limit.
func TestStaffPasswordReset(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		f := newAdminModelFixture(t, db)
		if body := readBody(t, f.s.browser().get("/login")); !strings.Contains(body, `<a href="/password/forgot" id="forgot-link">Forgot your password?</a>`) {
			t.Fatal("the staff sign-in page has no forgot-password link")
		}
		ask := func(email string, extra ...string) (*http.Response, string) {
			t.Helper()
			b := f.s.browser()
			resp := b.do("POST", "/password/forgot", url.Values{CSRFField: {b.csrf("/password/forgot")}, "email": {email}}, extra...)
			return resp, readBody(t, resp)
		}

		// Known and unknown addresses get the same page; only the known one gets mail.
		resp, known := ask("BOB@example.com", "Host", "evil.example", "X-Forwarded-Host", "evil.example")
		_, unknown := ask("nobody@example.com")
		wantStatus(t, resp, http.StatusOK)
		if normalise(known) != normalise(unknown) || !strings.Contains(known, "Check your e-mail") {
			t.Fatalf("known and unknown addresses answered differently:\n%s\n---\n%s", known, unknown)
		}
		if n := f.s.emailCount("nobody@example.com"); n != 0 {
			t.Fatalf("%d e-mails to an unknown address", n)
		}
		resp, body := ask("not an address")
		f.wantFieldError(resp, body, "Enter a valid e-mail address.")
		subject, text := f.s.lastEmail("bob@example.com")
		if subject != "Choose a new Portico password" || !strings.Contains(text, "http://localhost:8080/password/reset/") || strings.Contains(text, "evil") {
			t.Fatalf("reset e-mail %q:\n%s", subject, text)
		}
		link := linkIn(t, text)

		// Bob is throttled after failed logins and has a session elsewhere.
		for range f.s.cfg.LoginMaxFailures {
			f.s.browser().login("bob@example.com", "wrong password")
		}
		wantStatus(t, f.s.browser().login("bob@example.com", staffPassword), http.StatusTooManyRequests)
		wantStatus(t, f.agent.get("/desk"), http.StatusOK)

		bob := f.s.browser()
		resp = bob.get(link)
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Choose a new password") {
			t.Fatalf("reset page: %d\n%s", resp.StatusCode, body)
		}
		resp = bob.do("POST", link, url.Values{CSRFField: {bob.csrf(link)}, "password": {"bob's new passphrase"}})
		wantStatus(t, resp, http.StatusSeeOther)
		wantStatus(t, bob.get("/desk"), http.StatusOK)
		wantLoginRedirect(t, f.agent.get("/desk")) // the other session ended
		wantStatus(t, f.s.browser().login("bob@example.com", "bob's new passphrase"), http.StatusSeeOther)
		if resp := f.s.browser().login("bob@example.com", staffPassword); resp.StatusCode != http.StatusOK {
			t.Fatalf("the old password still signs in: %d", resp.StatusCode)
		}
		wantStatus(t, f.s.browser().get(link), http.StatusNotFound)

		// 60 minutes: a second before works, a second after does not; a newer link kills older.
		f.s.clock.Advance(2 * time.Hour) // a fresh mail-rate window
		ask("bob@example.com")
		_, text = f.s.lastEmail("bob@example.com")
		older := linkIn(t, text)
		ask("bob@example.com")
		_, text = f.s.lastEmail("bob@example.com")
		link = linkIn(t, text)
		wantStatus(t, f.s.browser().get(older), http.StatusNotFound)
		f.s.clock.Advance(time.Hour - time.Second)
		wantStatus(t, f.s.browser().get(link), http.StatusOK)
		f.s.clock.Advance(2 * time.Second)
		late := f.s.browser()
		resp = late.do("POST", link, url.Values{CSRFField: {late.csrf("/login")}, "password": {"too late passphrase"}})
		wantStatus(t, resp, http.StatusNotFound)

		// At most three e-mails per address per hour; the page answers the same past it.
		f.s.clock.Advance(2 * time.Hour)
		before := f.s.emailCount("ada@example.com")
		for range 5 {
			resp, body := ask("ada@example.com")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Check your e-mail") {
				t.Fatalf("rate-limited request answered %d", resp.StatusCode)
			}
		}
		if n := f.s.emailCount("ada@example.com") - before; n != 3 {
			t.Fatalf("%d reset e-mails in an hour, want 3", n)
		}

		// Deactivated staff get nothing.
		if err := f.s.app.SetStaffActive(context.Background(), f.ada, f.bob.ID, false); err != nil {
			t.Fatal(err)
		}
		f.s.clock.Advance(2 * time.Hour)
		before = f.s.emailCount("bob@example.com")
		ask("bob@example.com")
		if n := f.s.emailCount("bob@example.com"); n != before {
			t.Fatal("a deactivated user was sent a reset link")
		}
		wantStatus(t, f.s.browser().get("/password/reset/"+strings.Repeat("A", 43)), http.StatusNotFound)
	})
}
