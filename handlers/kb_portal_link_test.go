package handlers

// SPEC K-2: the knowledge base's "Go to <portal>" link, and the admin's switch for it on the
// portal's General settings page.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"portico/models"
)

// kbPortalLink is the knowledge base navigation's link to the portal, as rendered.
const kbPortalLink = `<li><a href="/portal">`

func TestKBPortalLinkToggle(t *testing.T) {
	t.Parallel()
	s, admin := adminSession(t)
	kbSeed(t, s)
	visitor := s.browser()
	kbPages := []string{"/kb", "/kb/billing", "/kb/billing/invoices", "/kb/search?q=invoices", "/kb/suggest?q=invoices"}
	linkOn := func(t *testing.T, want bool) {
		t.Helper()
		for _, page := range kbPages {
			resp := visitor.get(page)
			wantStatus(t, resp, http.StatusOK)
			body := readBody(t, resp)
			if got := strings.Contains(body, kbPortalLink) && strings.Contains(body, "Go to Customer portal"); got != want {
				t.Errorf("%s: portal link shown = %v, want %v", page, got, want)
			}
		}
	}

	// On by default, and the box on the General page says so.
	if !s.portalSettings().KBShowPortalLink {
		t.Fatal("KBShowPortalLink is off on a fresh install")
	}
	linkOn(t, true)
	wantContains(t, readBody(t, admin.get("/admin/portal")), `name="kb_show_portal_link" type="checkbox" value="true" checked`)

	// Unticked (a browser sends nothing for it): off, and the KB drops the link.
	general := func(on bool) url.Values {
		v := url.Values{"title": {"Customer portal"}, "slug": {"portal"}, "enabled": {"true"}, "language": {"en"},
			"languages": {"en", "pt-BR"}, "idle_minutes": {"30"}}
		if on {
			v.Set("kb_show_portal_link", "true")
		}
		return v
	}
	wantRedirect(t, admin.post("/admin/portal", "/admin/portal", general(false)), "/admin/portal")
	if s.portalSettings().KBShowPortalLink {
		t.Fatal("still on after unticking")
	}
	linkOn(t, false)
	body := readBody(t, admin.get("/admin/portal"))
	wantContains(t, body, `id="portal-kb-link"`, `for="portal-kb-link"`)
	wantNotContains(t, body, `name="kb_show_portal_link" type="checkbox" value="true" checked`)

	// A refused form (bad slug) changes nothing, and shows the box as it was sent.
	bad := general(true)
	bad.Set("slug", "Not A Slug!")
	resp := admin.post("/admin/portal", "/admin/portal", bad)
	wantStatus(t, resp, http.StatusOK)
	wantContains(t, readBody(t, resp), `name="kb_show_portal_link" type="checkbox" value="true" checked`)
	if s.portalSettings().KBShowPortalLink {
		t.Fatal("a refused form turned the link on")
	}

	// Without the CSRF token, as an agent or as a visitor: refused, nothing changes.
	v := general(true)
	wantStatus(t, admin.do("POST", "/admin/portal", v), http.StatusForbidden)
	s.staff(models.RoleAgent, "bob@example.com")
	agent := s.browser()
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, agent.post("/desk", "/admin/portal", general(true)), http.StatusForbidden)
	anon := s.browser()
	if resp := anon.post("/login", "/admin/portal", general(true)); resp.StatusCode == http.StatusSeeOther {
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
			t.Fatalf("visitor redirected to %q", loc)
		}
	} else if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("visitor: status %d", resp.StatusCode)
	}
	if s.portalSettings().KBShowPortalLink {
		t.Fatal("a refused request turned the link on")
	}

	// Ticked again: back on.
	wantRedirect(t, admin.post("/admin/portal", "/admin/portal", general(true)), "/admin/portal")
	linkOn(t, true)
}
