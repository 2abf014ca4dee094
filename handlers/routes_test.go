package handlers

// AC-05: every route in the table has an access policy, and each policy holds for every kind of
// visitor. Also STYLE 15/21(c): htmx endpoints answer with a page or a fragment from the same
// partial, with Vary: HX-Request.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

func TestRouteAccessPolicies(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	s.staff(models.RoleAgent, "bob@example.com")

	roles := []struct{ name, email, tokenPage string }{
		{"anonymous", "", "/login"},
		{"agent", "bob@example.com", "/desk"},
		{"admin", "ada@example.com", "/admin"},
	}
	// Signed-in browsers for GET requests; state-changing requests get a fresh one each, since
	// they may end the session (POST /logout).
	signedIn := map[string]*browser{}
	for _, r := range roles {
		b := s.browser()
		if r.email != "" {
			wantStatus(t, b.login(r.email, staffPassword), http.StatusSeeOther)
		}
		signedIn[r.name] = b
	}

	routes := s.h.Routes()
	if len(routes) == 0 {
		t.Fatal("the route table is empty")
	}
	unknown, probes := 0, 0
	for _, r := range routes {
		switch r.Policy {
		case admins, anyStaff, customers, public, portal, assets:
		default:
			unknown++
			t.Errorf("%s %s (%s) has no known access policy: %q", r.Method, r.Path, r.Name, r.Policy)
			continue
		}
		if r.Name == "" {
			t.Errorf("%s %s has no route name", r.Method, r.Path)
		}
		for _, role := range roles {
			for _, htmx := range []bool{false, true} {
				name := r.Method + " " + r.Path + "/" + role.name
				var extra []string
				if htmx {
					name += "/htmx"
					extra = []string{"HX-Request", "true"}
				}
				t.Run(name, func(t *testing.T) {
					probes++
					var resp *http.Response
					if r.Method == fiber.MethodGet {
						resp = signedIn[role.name].get(concretePath(r.Path), extra...)
					} else {
						b := s.browser()
						if role.email != "" {
							wantStatus(t, b.login(role.email, staffPassword), http.StatusSeeOther)
						}
						token := b.csrf(role.tokenPage)
						resp = b.do(r.Method, concretePath(r.Path), url.Values{CSRFField: {token}}, extra...)
					}
					checkPolicy(t, r.Policy, role.name, htmx, resp)
				})
			}
		}
	}
	t.Logf("route × role probes: %d over %d routes", probes, len(routes))
	t.Logf("routes without explicit authz policy: %d (0)", unknown)
}

// checkPolicy asserts what a policy promises a kind of visitor. A visitor the policy admits may
// still get 400/404 (a probe id that names nothing, an empty form), never 401 or 403.
func checkPolicy(t *testing.T, p policy, role string, htmx bool, resp *http.Response) {
	t.Helper()
	code := resp.StatusCode
	if code >= 500 && code != http.StatusServiceUnavailable {
		t.Fatalf("status %d", code)
	}
	admitted := code != http.StatusUnauthorized && code != http.StatusForbidden &&
		!strings.HasPrefix(resp.Header.Get("Location"), "/login") &&
		!strings.HasPrefix(resp.Header.Get("Location"), "/portal/login")
	switch {
	case (p == admins || p == anyStaff) && role == "anonymous":
		if htmx {
			wantHTMXLogin(t, resp)
		} else {
			wantLoginRedirect(t, resp)
		}
	case p == admins && role == "agent":
		wantStatus(t, resp, http.StatusForbidden)
	case p == customers && role != "admin":
		// Anonymous visitors and agents are not customers: to the portal's sign-in.
		to := resp.Header.Get("Location")
		if htmx {
			wantStatus(t, resp, http.StatusUnauthorized)
			to = resp.Header.Get("HX-Redirect")
		} else {
			wantStatus(t, resp, http.StatusSeeOther)
		}
		if !strings.HasPrefix(to, "/portal/login") {
			t.Fatalf("%s sent to %q, want the portal's sign-in", role, to)
		}
	case p == admins, p == anyStaff, p == customers:
		if !admitted {
			t.Fatalf("%s refused with %d (Location %q)", role, code, resp.Header.Get("Location"))
		}
	case p == public || p == portal || p == assets:
		if code == http.StatusUnauthorized || code == http.StatusForbidden && !strings.HasSuffix(resp.Request.URL.Path, "/denied") {
			t.Fatalf("%s route refused %s with %d", p, role, code)
		}
	default:
		t.Fatalf("no rule for policy %q", p)
	}
}

func TestFragmentEndpointsAnswerPageOrFragment(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	b := s.browser()
	token := b.csrf("/login")

	endpoints := []struct {
		name, method, path, marker string
		form                       url.Values
	}{
		{"GET /login", "GET", "/login", `id="login-form"`, nil},
		{"POST /login with a wrong password", "POST", "/login", `id="login-form"`,
			url.Values{CSRFField: {token}, "email": {"ada@example.com"}, "password": {"not it at all"}}},
	}
	variants := []struct {
		name    string
		headers []string
		full    bool
	}{
		{"plain request", nil, true},
		{"htmx request", []string{"HX-Request", "true"}, false},
		{"boosted link", []string{"HX-Request", "true", "HX-Boosted", "true"}, true},
		{"history restore", []string{"HX-Request", "true", "HX-History-Restore-Request", "true"}, true},
	}
	for _, e := range endpoints {
		bodies := map[bool]string{}
		for _, v := range variants {
			t.Run(e.name+"/"+v.name, func(t *testing.T) {
				resp := b.do(e.method, e.path, e.form, v.headers...)
				wantStatus(t, resp, http.StatusOK)
				if !varyHasHXRequest(resp) {
					t.Fatalf("Vary = %q, want HX-Request in it", resp.Header.Values("Vary"))
				}
				body := normalizeBody(readBody(t, resp))
				if !strings.Contains(body, e.marker) {
					t.Fatalf("no %s in the answer:\n%s", e.marker, body)
				}
				isFull := strings.Contains(body, "<html") && strings.Contains(body, "</html>")
				if isFull != v.full {
					t.Fatalf("full page = %v, want %v:\n%s", isFull, v.full, body)
				}
				if !v.full && (strings.Contains(body, "<head") || strings.Contains(body, "<body")) {
					t.Fatalf("fragment carries page chrome:\n%s", body)
				}
				bodies[v.full] = body
			})
		}
		// The fragment is the very partial the page includes.
		if frag, page := strings.TrimSpace(bodies[false]), bodies[true]; frag == "" || !strings.Contains(page, frag) {
			t.Errorf("%s: the htmx fragment is not part of the page\nfragment:\n%s", e.name, frag)
		}
	}
}

func TestHTMLResponsesVaryOnHXRequest(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	admin := s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	html := 0
	for _, r := range s.h.Routes() {
		if r.Method != fiber.MethodGet {
			continue
		}
		for _, b := range []*browser{admin, s.browser()} {
			for _, hx := range [][]string{nil, {"HX-Request", "true"}} {
				resp := b.get(concretePath(r.Path), hx...)
				if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					html++
					if !varyHasHXRequest(resp) {
						t.Errorf("GET %s: HTML without Vary: HX-Request (Vary %q)", r.Path, resp.Header.Values("Vary"))
					}
				}
			}
		}
	}
	if html == 0 {
		t.Fatal("no HTML page among the GET routes")
	}
}

func varyHasHXRequest(resp *http.Response) bool {
	for _, v := range resp.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "HX-Request") {
				return true
			}
		}
	}
	return false
}
