package handlers

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"testing"

	"portico/app"
	"portico/models"
)

// The templates with their fixed texts baked in per language (views.go) must write exactly what
// the templates calling T on every request write.

// TestBakedTemplatesMatchDynamic renders every template, in each language and for each kind of
// viewer, with the baked engine and with a plain one, and wants the same bytes.
func TestBakedTemplatesMatchDynamic(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	dynamic, err := loadEngine(s.h.views.funcs)
	if err != nil {
		t.Fatal(err)
	}
	admin := &models.StaffUser{ID: 1, Name: "Ada <admin>", Role: models.RoleAdmin, Active: true}
	contact := &models.Contact{ID: 3, Name: "Pat & co", Active: true}
	viewers := []*Viewer{{}, {Kind: models.KindStaff, Staff: admin}, {Kind: models.KindContact, Contact: contact}}
	compared := 0
	for _, name := range templateNames(t) {
		for _, lang := range []string{"en", "pt-BR"} {
			for _, v := range viewers {
				b := Base{Lang: lang, Viewer: v, Flash: &Flash{Kind: "info", Message: "m"}, tr: s.h.tr}
				vm := emptyViewModel(name, b)
				var baked, plain bytes.Buffer
				errB := s.h.views.Render(&baked, name, vm)
				errP := dynamic.Render(&plain, name, vm)
				if (errB == nil) != (errP == nil) {
					t.Fatalf("%s (%s): baked error %v, plain error %v", name, lang, errB, errP)
				}
				if baked.String() != plain.String() {
					t.Fatalf("%s (%s): baked and plain templates differ:\n%s", name, lang, firstDifference(baked.String(), plain.String()))
				}
				compared++
			}
		}
	}
	for _, lang := range []string{"en", "pt-BR"} {
		// views/ holds about 900 `.T "id"` actions; most are plain text or attributes.
		if n := s.h.views.baked[lang]; n < 600 {
			t.Errorf("%s: only %d texts baked into the templates", lang, n)
		}
	}
	t.Logf("%d renderings identical; texts baked: en %d, pt-BR %d", compared, s.h.views.baked["en"], s.h.views.baked["pt-BR"])
}

// TestBakedPagesMatchDynamic compares whole pages over HTTP on demo data — the portal listing
// and a ticket in both languages, the desk queue and a desk ticket — against the same pages
// rendered with no baked template, per-request tokens aside.
func TestBakedPagesMatchDynamic(t *testing.T) {
	s := newSQLiteServer(t)
	if _, err := s.app.SeedDemo(context.Background(), app.DemoOptions{}); err != nil {
		t.Fatal(err)
	}
	customer := s.browser()
	wantStatus(t, customer.portalLogin("alice@acme.example", "demo-customer-1"), http.StatusSeeOther)
	agent := s.browser()
	wantStatus(t, agent.login("demo-agent-1@example.com", "demo-agent-1"), http.StatusSeeOther)
	home := readBody(t, customer.get("/portal"))
	ref := regexp.MustCompile(`/portal/tickets/(T-\d+)`).FindStringSubmatch(home)
	if ref == nil {
		t.Fatal("no ticket on Alice's listing")
	}
	pages := []struct {
		b    *browser
		path string
		lang string
	}{
		{customer, "/portal", "en"},
		{customer, "/portal", "pt-BR"},
		{customer, "/portal/tickets/" + ref[1], "en"},
		{customer, "/portal/tickets/" + ref[1], "pt-BR"},
		{agent, "/desk", ""},
		{agent, "/desk/tickets/" + ref[1], ""},
	}
	volatile := regexp.MustCompile(`(nonce|value|X-CSRF-Token|data-request-id)(="|": ")[^"]*"`)
	fetch := func(p struct {
		b    *browser
		path string
		lang string
	}) string {
		var extra []string
		if p.lang != "" {
			extra = []string{"Accept-Language", p.lang}
		}
		resp := p.b.get(p.path, extra...)
		wantStatus(t, resp, http.StatusOK)
		return volatile.ReplaceAllString(readBody(t, resp), `$1$2…"`)
	}
	baked := make([]string, len(pages))
	for i, p := range pages {
		baked[i] = fetch(p)
	}
	byLang := s.h.views.byLang
	s.h.views.byLang = nil // every page now goes through the plain engine
	defer func() { s.h.views.byLang = byLang }()
	for i, p := range pages {
		if plain := fetch(p); plain != baked[i] {
			t.Errorf("%s (%s): baked and plain pages differ:\n%s", p.path, p.lang, firstDifference(baked[i], plain))
		}
	}
}

// firstDifference shows where a and b part, with some context.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "baked: …" + a[from:min(len(a), i+80)] + "\nplain: …" + b[from:min(len(b), i+80)]
}
