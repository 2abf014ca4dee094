package handlers

// Shared set-up of the admin model page tests: an admin and an agent signed in on one server.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"portico/models"
)

// adminModelFixture is a server with Ada (admin) and Bob (agent) signed in, and Ada's CSRF
// token.
type adminModelFixture struct {
	t            *testing.T
	s            *testServer
	ada, bob     models.StaffUser
	admin, agent *browser
	token        string
}

func newAdminModelFixture(t *testing.T, db *models.DB) *adminModelFixture {
	t.Helper()
	s := newTestServer(t, db, testConfig(t))
	f := &adminModelFixture{t: t, s: s}
	f.ada, _ = s.staff(models.RoleAdmin, "ada@example.com")
	f.bob, _ = s.staff(models.RoleAgent, "bob@example.com")
	f.admin, f.agent = s.browser(), s.browser()
	wantStatus(t, f.admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, f.agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	f.token = f.admin.csrf("/admin")
	return f
}

// post submits a form as the admin, with the CSRF token, and returns the answer and its body.
func (f *adminModelFixture) post(path string, form url.Values) (*http.Response, string) {
	f.t.Helper()
	form.Set(CSRFField, f.token)
	resp := f.admin.do("POST", path, form)
	return resp, readBody(f.t, resp)
}

// page GETs a page as the admin and returns its body, failing on any status but 200.
func (f *adminModelFixture) page(path string) string {
	f.t.Helper()
	resp := f.admin.get(path)
	body := readBody(f.t, resp)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET %s: status %d\n%s", path, resp.StatusCode, body)
	}
	return body
}

// wantFieldError fails unless an answer re-rendered its form (200) with message on it.
func (f *adminModelFixture) wantFieldError(resp *http.Response, body, message string) {
	f.t.Helper()
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, message) || !strings.Contains(body, `class="field-error"`) {
		f.t.Fatalf("%s %s: status %d, want 200 with %q\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, message, body)
	}
}

// wantRedirect fails unless an answer is a 303 to location.
func (f *adminModelFixture) wantRedirect(resp *http.Response, location string) {
	f.t.Helper()
	wantStatus(f.t, resp, http.StatusSeeOther)
	if got := resp.Header.Get("Location"); got != location {
		f.t.Fatalf("%s %s: redirect to %q, want %q", resp.Request.Method, resp.Request.URL, got, location)
	}
}

// wantGuarded checks the access rule of admin pages: the agent gets 403 on every GET and POST
// (with their own valid CSRF token), a visitor is sent to sign in, and a POST without a CSRF
// token is refused with 403 even for the admin.
func (f *adminModelFixture) wantGuarded(gets []string, posts map[string]url.Values) {
	f.t.Helper()
	for _, p := range gets {
		wantStatus(f.t, f.agent.get(p), http.StatusForbidden)
		wantLoginRedirect(f.t, f.s.browser().get(p))
	}
	agentToken := f.agent.csrf("/desk")
	for p, form := range posts {
		withToken := url.Values{}
		for k, v := range form {
			withToken[k] = v
		}
		withToken.Set(CSRFField, agentToken)
		wantStatus(f.t, f.agent.do("POST", p, withToken), http.StatusForbidden)
		noToken := url.Values{}
		for k, v := range form {
			noToken[k] = v
		}
		wantStatus(f.t, f.admin.do("POST", p, noToken), http.StatusForbidden)
		other := url.Values{}
		for k, v := range form {
			other[k] = v
		}
		other.Set(CSRFField, agentToken) // a token of another session
		wantStatus(f.t, f.admin.do("POST", p, other), http.StatusForbidden)
	}
}

// relogin signs the admin in again, after the fake clock has run past the session's life.
func (f *adminModelFixture) relogin() {
	f.t.Helper()
	f.admin = f.s.browser()
	wantStatus(f.t, f.admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	f.token = f.admin.csrf("/admin")
}
