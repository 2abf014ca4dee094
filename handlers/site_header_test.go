package handlers

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"portico/models"
)

// TestSiteHeaderCache renders the header of many different pages, one after the other through
// one cache, and wants each to be exactly the header rendered afresh: a value the key missed
// would bring back an earlier page's header.
func TestSiteHeaderCache(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	contact := &models.Contact{ID: 3, Name: "Pat", Active: true}
	other := &models.Contact{ID: 4, Name: "Quinn", Active: true}
	admin := &models.StaffUser{ID: 1, Name: "Ada", Role: models.RoleAdmin, Active: true}
	agent := &models.StaffUser{ID: 2, Name: "Ada", Role: models.RoleAgent, Active: true}
	portal := func(mod func(*PortalView)) *PortalView {
		p := &PortalView{Title: "Acme help", Home: "/portal", Login: "/portal/login", Register: "/portal/register",
			Logout: "/portal/logout", NewTicket: "/portal/new", LanguageAction: "/portal/language", Next: "/portal",
			ChooseLanguage: true, Languages: []LanguageOption{{Tag: "en", Name: "English", Current: true}, {Tag: "pt-BR", Name: "Português"}}}
		if mod != nil {
			mod(p)
		}
		return p
	}
	brand := &BrandingView{Nav: []models.NavLink{{Label: "Status", URL: "https://status.example"}}}
	bases := []Base{
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: contact}, Portal: portal(nil), Brand: brand},
		{Lang: "pt-BR", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: contact}, Portal: portal(nil), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok2", Viewer: &Viewer{Contact: contact}, Portal: portal(nil), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: other}, Portal: portal(nil), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{}, Portal: portal(nil), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{}, Portal: portal(func(p *PortalView) { p.SelfRegistration = true }), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: contact}, Portal: portal(func(p *PortalView) { p.Next = "/portal/tickets/T-9" }), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: contact}, Portal: portal(func(p *PortalView) { p.Languages[1].Current, p.Languages[0].Current = true, false }), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: contact}, Portal: portal(func(p *PortalView) { p.Title = "Other" }), Brand: brand},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Contact: contact}, Portal: portal(nil), Brand: &BrandingView{LogoURL: "/branding/7"}},
		{Lang: "en", Area: "portal", CSRF: "tok1", Viewer: &Viewer{Staff: admin, Kind: models.KindStaff}, Portal: portal(func(p *PortalView) { p.Preview = true }), Brand: brand},
		{Lang: "en", Area: "desk", CSRF: "tok1", Viewer: &Viewer{Staff: admin, Kind: models.KindStaff}},
		{Lang: "en", Area: "admin", CSRF: "tok1", Viewer: &Viewer{Staff: admin, Kind: models.KindStaff}},
		{Lang: "en", Area: "desk", CSRF: "tok1", Viewer: &Viewer{Staff: agent, Kind: models.KindStaff}},
		{Lang: "en", Area: "auth", CSRF: "tok1", Viewer: &Viewer{}},
	}
	seen := map[string]bool{}
	for round := range 2 { // the second round is served from the cache
		for i, b := range bases {
			b.tr = s.h.tr
			var want bytes.Buffer
			if err := s.h.views.Render(&want, "partials/site_header", b); err != nil {
				t.Fatal(err)
			}
			b.header = s.h.siteHeader
			got, err := b.SiteHeader()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want.String() {
				t.Fatalf("round %d, page %d: cached header differs:\n%s", round, i, firstDifference(string(got), want.String()))
			}
			seen[want.String()] = true
		}
	}
	if len(seen) != len(bases) {
		t.Fatalf("%d distinct headers for %d different pages: the cases do not each change it", len(seen), len(bases))
	}
	// The whole page carries the header once, from the cache.
	b := bases[0]
	b.tr, b.header = s.h.tr, s.h.siteHeader
	var page bytes.Buffer
	if err := s.h.views.Render(&page, "pages/portal/home", portalTicketsPage{Base: b}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page.String(), `<header class="site-header">`); n != 1 {
		t.Fatalf("%d headers on the page", n)
	}
}

// BenchmarkPortalHomeRender renders the portal's listing page with 25 rows already rendered
// (as the handler does), its header rendered afresh ("direct") or from the cache ("cached").
func BenchmarkPortalHomeRender(b *testing.B) {
	s := newSQLiteServer(b)
	p := &PortalView{Title: "Acme help", Home: "/portal", Login: "/portal/login", Register: "/portal/register",
		Logout: "/portal/logout", NewTicket: "/portal/new", LanguageAction: "/portal/language", Next: "/portal",
		ChooseLanguage: true, Languages: []LanguageOption{{Tag: "en", Name: "English", Current: true}, {Tag: "pt-BR", Name: "Português"}}}
	base := Base{Lang: "en", Area: "portal", CSRF: "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4", Nonce: "bm9uY2Vub25jZQ",
		Viewer: &Viewer{Contact: &models.Contact{ID: 3, Name: "Pat"}}, Portal: p,
		Brand: &BrandingView{Primary: "#123456", Secondary: "#abcdef"}, tr: s.h.tr}
	var rows []ticketRowView
	for i := range 25 {
		rows = append(rows, ticketRowView{Ref: "T-" + strings.Repeat("1", 4) + string(rune('0'+i%10)), Subject: "Printer jams on the second floor",
			Status: "Open", URL: "/portal/tickets/T-1", Created: dateStamp(time.Unix(1700000000, 0)), LastActivity: timeStamp(time.Unix(1700000000, 0))})
	}
	for _, mode := range []string{"direct", "cached"} {
		b.Run(mode, func(b *testing.B) {
			vm := portalTicketsPage{Base: base, Rows: rows, View: "mine", Sort: "activity", CanSeeOrg: true,
				ListURL: "/portal/?view=mine", Events: "/portal/events"}
			if mode == "cached" {
				vm.header = s.h.siteHeader
			}
			var err error
			if vm.RowsHTML, err = s.h.renderFragment("partials/portal/ticket_rows", vm); err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := s.h.views.Render(&buf, "pages/portal/home", vm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
