package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

func TestStaffLoginJourney(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newTestServer(t, db, testConfig(t))
		s.staff(models.RoleAdmin, "ada@example.com")
		s.staff(models.RoleAgent, "bob@example.com")

		cases := []struct {
			name, email, home string
			adminStatus       int
		}{
			{"admin lands in admin", "ada@example.com", "/admin", http.StatusOK},
			{"agent lands in desk", "bob@example.com", "/desk", http.StatusForbidden},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := s.browser()
				resp := b.login(tc.email, "correct horse battery")
				wantStatus(t, resp, http.StatusSeeOther)
				if got := resp.Header.Get("Location"); got != tc.home {
					t.Fatalf("redirected to %q, want %q", got, tc.home)
				}
				wantStatus(t, b.get(tc.home), http.StatusOK)
				wantStatus(t, b.get("/desk"), http.StatusOK)
				wantStatus(t, b.get("/admin"), tc.adminStatus)
			})
		}
	})
}

func TestLoginWrongPasswordRerendersForm(t *testing.T) {
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		b := s.browser()
		resp := b.login(email, "wrong password!")
		wantStatus(t, resp, http.StatusOK)
		body := readBody(t, resp)
		if !strings.Contains(body, "do not match an active account") {
			t.Fatalf("%s: no error message in form", email)
		}
		if !strings.Contains(body, `value="`+email+`"`) {
			t.Fatalf("%s: e-mail not kept in re-rendered form", email)
		}
		if b.get("/desk").StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: signed in after a wrong password", email)
		}
	}
}

func TestLoginFragmentForHtmx(t *testing.T) {
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	b := s.browser()
	token := b.csrf("/login")

	resp := b.do("POST", "/login", url.Values{"_csrf": {token}, "email": {"ada@example.com"}, "password": {"nope nope"}},
		"HX-Request", "true")
	wantStatus(t, resp, http.StatusOK)
	body := readBody(t, resp)
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="login-form"`) {
		t.Fatalf("htmx error answer is not the form fragment:\n%s", body)
	}
	if resp.Header.Get("Vary") != "HX-Request" {
		t.Fatalf("Vary = %q", resp.Header.Get("Vary"))
	}

	resp = b.do("POST", "/login", url.Values{"_csrf": {token}, "email": {"ada@example.com"}, "password": {"correct horse battery"}},
		"HX-Request", "true")
	if resp.Header.Get("HX-Redirect") != "/admin" {
		t.Fatalf("htmx login: HX-Redirect = %q, status %d", resp.Header.Get("HX-Redirect"), resp.StatusCode)
	}
}

func TestLoginNextIsLocalOnly(t *testing.T) {
	s := newSQLiteServer(t)
	s.staff(models.RoleAgent, "bob@example.com")
	for next, want := range map[string]string{
		"/desk?x=1":            "/desk?x=1",
		"//evil.example/":      "/desk",
		"https://evil.example": "/desk",
		"/\\evil.example":      "/desk",
	} {
		b := s.browser()
		token := b.csrf("/login")
		resp := b.do("POST", "/login", url.Values{"_csrf": {token}, "email": {"bob@example.com"},
			"password": {"correct horse battery"}, "next": {next}})
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestAnonymousIsSentToLogin(t *testing.T) {
	s := newSQLiteServer(t)
	b := s.browser()
	resp := b.get("/desk")
	wantStatus(t, resp, http.StatusSeeOther)
	if got := resp.Header.Get("Location"); got != "/login?next=%2Fdesk" {
		t.Fatalf("Location = %q", got)
	}
	// htmx never gets a login page swapped into a fragment.
	resp = b.get("/admin", "HX-Request", "true")
	wantStatus(t, resp, http.StatusUnauthorized)
	if got := resp.Header.Get("HX-Redirect"); !strings.HasPrefix(got, "/login") {
		t.Fatalf("HX-Redirect = %q", got)
	}
	if body := readBody(t, resp); strings.Contains(body, "<form") {
		t.Fatal("htmx 401 carries a form")
	}
}

func TestLogoutEndsSessionAndCopiedCookieIsDead(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newTestServer(t, db, testConfig(t))
		s.staff(models.RoleAdmin, "ada@example.com")
		b := s.browser()
		wantStatus(t, b.login("ada@example.com", "correct horse battery"), http.StatusSeeOther)
		stolen := b.sessionCookie()

		token := b.csrf("/admin")
		resp := b.do("POST", "/logout", url.Values{"_csrf": {token}})
		wantStatus(t, resp, http.StatusSeeOther)
		if b.sessionCookie() != "" {
			t.Fatal("session cookie not cleared on logout")
		}
		thief := s.browser()
		thief.cookies[s.h.cookieName] = stolen
		wantStatus(t, thief.get("/admin"), http.StatusSeeOther)
	})
}

func TestLogoutNeedsCSRF(t *testing.T) {
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	b := s.browser()
	b.login("ada@example.com", "correct horse battery")
	wantStatus(t, b.do("POST", "/logout", url.Values{}), http.StatusForbidden)
	wantStatus(t, b.get("/admin"), http.StatusOK) // still signed in
}
