package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

// kbEmptyViewModel gives the knowledge-base templates their view models, empty but for b, for
// the test that renders every template (views_test.go).
func kbEmptyViewModel(name string, b Base) (any, bool) {
	portalB := b
	portalB.Portal, portalB.Brand = &PortalView{}, &BrandingView{}
	switch name {
	case "pages/kb/home":
		return kbHomePage{Base: portalB}, true
	case "pages/kb/category", "partials/kb/pager":
		return kbCategoryPage{Base: portalB}, true
	case "pages/kb/article", "partials/kb/nav":
		return kbArticlePage{Base: portalB}, true
	case "partials/kb/feedback":
		return kbFeedbackFragment{Base: portalB}, true
	case "pages/kb/search":
		return kbSearchPage{Base: portalB}, true
	case "pages/kb/suggest", "partials/kb/suggestions":
		return kbSuggestPage{Base: portalB}, true
	case "pages/admin/kb":
		return kbAdminPage{Base: b}, true
	case "pages/admin/kb_category":
		return kbCategoryFormPage{Base: b}, true
	case "pages/admin/kb_article":
		return kbArticleFormPage{Base: b}, true
	}
	return nil, false
}

func TestKBTemplatesRenderEmpty(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	admin := &models.StaffUser{ID: 1, Name: "Ada", Role: models.RoleAdmin, Active: true}
	for _, name := range templateNames(t) {
		if !strings.Contains(name, "/kb") {
			continue
		}
		for _, lang := range []string{"en", "pt-BR"} {
			for _, v := range []*Viewer{{}, {Kind: models.KindStaff, Staff: admin}} {
				vm, ok := kbEmptyViewModel(name, Base{Lang: lang, Viewer: v, tr: s.h.tr})
				if !ok {
					t.Errorf("%s has no empty view model", name)
					continue
				}
				var buf bytes.Buffer
				if err := engine.Render(&buf, name, vm); err != nil {
					t.Errorf("%s (%s): %v", name, lang, err)
				}
				if strings.Contains(buf.String(), "<no value>") {
					t.Errorf("%s: <no value>", name)
				}
			}
		}
	}
}

// kbSeed writes a category with a published article, a draft, and an article full of XSS.
func kbSeed(t *testing.T, s *testServer) {
	t.Helper()
	ctx := context.Background()
	cat := models.KBCategory{Slug: "billing", Name: "Billing", Description: "Invoices and payments"}
	if err := s.app.Stores.KB.CreateCategory(ctx, &cat); err != nil {
		t.Fatal(err)
	}
	for _, a := range []models.KBArticle{
		{Slug: "invoices", Title: "Download invoices", Body: "Open **Billing** and choose *Invoices*.", Status: models.ArticlePublished},
		{Slug: "secret-plan", Title: "Secret plan", Body: "Not yet.", Status: models.ArticleDraft},
		{Slug: "xss", Title: "Tricky <b>title</b>", Status: models.ArticlePublished,
			Body: "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> <div hx-get=\"/admin\">y</div>"},
	} {
		a.CategoryID = cat.ID
		if err := s.app.Stores.KB.CreateArticle(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKBPublicPages(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newTestServer(t, db, testConfig(t))
		kbSeed(t, s)
		s.staff(models.RoleAdmin, "ada@example.com")
		s.staff(models.RoleAgent, "bob@example.com")
		anon := s.browser()
		agent := s.browser()
		wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
		admin := s.browser()
		wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)

		pages := []struct {
			b      *browser
			path   string
			status int
			want   []string
			not    []string
		}{
			{anon, "/kb", 200, []string{"Billing", "Invoices and payments", "2 articles", `action="/kb/search"`, "Go to "}, nil},
			{anon, "/kb/billing", 200, []string{"Download invoices", "Open Billing and choose Invoices", `href="/kb/billing/invoices"`}, []string{"Secret plan"}},
			{anon, "/kb/billing/invoices", 200, []string{"<title>Download invoices", "<strong>Billing</strong>", "hx-disable", "Was this helpful?"}, []string{`id="kb-draft-badge"`}},
			{anon, "/kb/billing/xss", 200, []string{"Tricky &lt;b&gt;title&lt;/b&gt;"}, []string{"<script>alert", "javascript:", "onerror", `hx-get="/admin"`}},
			{anon, "/kb/billing/secret-plan", 404, nil, []string{"Not yet."}},
			{agent, "/kb/billing/secret-plan", 404, nil, []string{"Not yet."}},
			{admin, "/kb/billing/secret-plan", 200, []string{"Not yet.", `id="kb-draft-badge"`}, nil},
			{anon, "/kb/nope", 404, nil, nil},
			{anon, "/kb/billing/nope", 404, nil, nil},
			{anon, "/kb/search?q=invoices", 200, []string{`href="/kb/billing/invoices"`, "<mark>Invoices</mark>"}, nil},
			{anon, "/kb/search?q=secret", 200, []string{"No articles match"}, []string{"Secret plan"}},
			{anon, "/kb/search?q=", 200, []string{"Type a few words"}, []string{"kb-results"}},
		}
		for _, p := range pages {
			resp := p.b.get(p.path)
			body := readBody(t, resp)
			if resp.StatusCode != p.status {
				t.Fatalf("%s: status %d, want %d", p.path, resp.StatusCode, p.status)
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: no %q in\n%s", p.path, w, body)
				}
			}
			for _, w := range p.not {
				if strings.Contains(body, w) {
					t.Errorf("%s: %q in the page", p.path, w)
				}
			}
		}
		// Nasty queries never fail.
		for _, q := range []string{`"`, `*`, `OR`, `NEAR(a b)`, `%`, `_`, `'; DROP TABLE kb_articles; --`, `a" OR "b`,
			`title:x`, `-x`, `x*`, "\x00", strings.Repeat("long ", 500), `<script>`, `(`, `^`} {
			for _, path := range []string{"/kb/search?q=", "/kb/suggest?q="} {
				resp := anon.get(path + url.QueryEscape(q))
				body := readBody(t, resp)
				if resp.StatusCode != 200 {
					t.Errorf("%s%q: status %d", path, q, resp.StatusCode)
				}
				if strings.Contains(body, "<script>") && !strings.Contains(q, "script") {
					t.Errorf("unexpected script")
				}
				if strings.Contains(body, "<script>alert") || strings.Contains(body, `value="<script>`) {
					t.Errorf("%s%q: unescaped input", path, q)
				}
			}
		}
	})
}

func TestKBPagination(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	ctx := context.Background()
	cat := models.KBCategory{Slug: "many", Name: "Many"}
	if err := s.app.Stores.KB.CreateCategory(ctx, &cat); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ {
		a := models.KBArticle{CategoryID: cat.ID, Slug: "a-" + itoa(i), Title: "Widget guide " + itoa(i), Body: "widget", Status: models.ArticlePublished}
		if err := s.app.Stores.KB.CreateArticle(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser()
	for _, path := range []string{"/kb/many", "/kb/search?q=widget"} {
		body := readBody(t, b.get(path))
		if strings.Count(body, "Widget guide") != 20 || !strings.Contains(body, `rel="next"`) {
			t.Errorf("%s page 1: %d items", path, strings.Count(body, "Widget guide"))
		}
		body = readBody(t, b.get(path+map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")]+"page=2"))
		if strings.Count(body, "Widget guide") != 5 || !strings.Contains(body, `rel="prev"`) {
			t.Errorf("%s page 2: %d items", path, strings.Count(body, "Widget guide"))
		}
	}
}

func TestKBFeedbackCountedOncePerVisitor(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	kbSeed(t, s)
	b := s.browser()
	token := b.csrf("/kb/billing/invoices")
	// Without a token: refused, nothing counted.
	wantStatus(t, b.do("POST", "/kb/billing/invoices/feedback", url.Values{"helpful": {"yes"}}), http.StatusForbidden)
	// Plain form post: redirect back with a flash.
	resp := b.do("POST", "/kb/billing/invoices/feedback", url.Values{CSRFField: {token}, "helpful": {"yes"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/kb/billing/invoices" {
		t.Fatalf("redirect to %q", loc)
	}
	if body := readBody(t, b.get("/kb/billing/invoices")); !strings.Contains(body, "Thank you for your feedback") {
		t.Fatal("no thank-you flash")
	}
	// htmx: the fragment; a second vote from the same address is thanked but not counted.
	resp = b.do("POST", "/kb/billing/invoices/feedback", url.Values{CSRFField: {token}, "helpful": {"no"}}, "HX-Request", "true")
	wantStatus(t, resp, http.StatusOK)
	if body := readBody(t, resp); !strings.Contains(body, "Thank you") || strings.Contains(body, "<html") {
		t.Fatalf("fragment: %s", body)
	}
	art, _ := s.app.Stores.KB.ArticleInCategory(context.Background(), 1, "invoices")
	if art.HelpfulYes != 1 || art.HelpfulNo != 0 {
		t.Fatalf("counters %d/%d, want 1/0", art.HelpfulYes, art.HelpfulNo)
	}
	// A draft takes no votes; a bad value is a 400.
	wantStatus(t, b.do("POST", "/kb/billing/secret-plan/feedback", url.Values{CSRFField: {token}, "helpful": {"yes"}}), http.StatusNotFound)
	wantStatus(t, b.do("POST", "/kb/billing/invoices/feedback", url.Values{CSRFField: {token}, "helpful": {"maybe"}}), http.StatusBadRequest)
}

func TestKBSuggestionsFragmentAndPage(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	kbSeed(t, s)
	b := s.browser()
	resp := b.get("/kb/suggest?q=invo", "HX-Request", "true")
	wantStatus(t, resp, http.StatusOK)
	frag := readBody(t, resp)
	if !strings.Contains(frag, `href="/kb/billing/invoices"`) || strings.Contains(frag, "<html") {
		t.Fatalf("fragment: %s", frag)
	}
	if !varyHasHXRequest(resp) {
		t.Fatal("no Vary: HX-Request")
	}
	page := readBody(t, b.get("/kb/suggest?q=invo"))
	if !strings.Contains(page, "<html") || !strings.Contains(page, strings.TrimSpace(frag)) {
		t.Fatalf("page does not hold the fragment: %s", page)
	}
	if body := readBody(t, b.get("/kb/suggest?q=secret", "HX-Request", "true")); strings.Contains(body, "secret-plan") {
		t.Fatal("draft suggested")
	}
}
