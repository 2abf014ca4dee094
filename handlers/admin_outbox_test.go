package handlers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"portico/app"
	"portico/models"
)

// outboxRowLink finds the links from the outbox listing to its e-mails.
var outboxRowLink = regexp.MustCompile(`href="/admin/outbox/(\d+)"`)

func queueTestEmail(t *testing.T, s *testServer, e app.Email) {
	t.Helper()
	if err := s.app.SendEmail(context.Background(), nil, e); err != nil {
		t.Fatal(err)
	}
}

func TestAdminOutboxShowsQueuedEmail(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	admin := s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)

	own := s.cfg.BaseURL + "/portal/reset/TOKEN-123?x=1&y=2"
	queueTestEmail(t, s, app.Email{To: "ana@example.com", Subject: `Reset <script>alert("s")</script>`, Kind: "reset",
		Text: "Hello <b>Ana</b> & co,\n\nFollow " + own + ".\n" +
			"Not this one: https://evil.example/phish, nor " + s.cfg.BaseURL + ".evil.example/x, nor " +
			s.cfg.BaseURL + "@evil.example/y, nor javascript:alert(1)\n<script>alert('b')</script>\n",
		HTML: `<p onclick="alert('h')">HTML-ONLY-MARKER</p><script>alert('h')</script>`})
	queueTestEmail(t, s, app.Email{To: "Bruno <bruno@example.org>", Subject: "Welcome", Text: "Hi", Kind: "invite"})

	resp := admin.get("/admin/outbox")
	wantStatus(t, resp, http.StatusOK)
	list := readBody(t, resp)
	for _, want := range []string{"<caption>", "ana@example.com", "bruno@example.org", "Welcome",
		"Reset &lt;script&gt;", "Kept (not sent)", "<code>reset</code>", "PORTICO_SMTP_HOST"} {
		if !strings.Contains(list, want) {
			t.Errorf("the listing lacks %q:\n%s", want, list)
		}
	}
	ids := outboxRowLink.FindAllStringSubmatch(list, -1)
	if len(ids) != 2 {
		t.Fatalf("%d e-mails listed, want 2", len(ids))
	}
	if strings.Contains(list, "Welcome") && strings.Index(list, "Welcome") > strings.Index(list, "Reset &lt;") {
		t.Error("the listing is not newest first")
	}
	if strings.Contains(list, "<script>alert") || strings.Contains(list, "Older") {
		t.Errorf("unexpected content in the listing:\n%s", list)
	}

	resp = admin.get("/admin/outbox/" + ids[1][1]) // the older one: the reset
	wantStatus(t, resp, http.StatusOK)
	page := readBody(t, resp)
	wantLink := `<a href="` + s.cfg.BaseURL + `/portal/reset/TOKEN-123?x=1&amp;y=2">`
	for _, want := range []string{wantLink, "Hello &lt;b&gt;Ana&lt;/b&gt; &amp; co", "https://evil.example/phish",
		"&lt;script&gt;alert(&#39;b&#39;)&lt;/script&gt;", "HTML version", "Kept (not sent)", "ana@example.com"} {
		if !strings.Contains(page, want) {
			t.Errorf("the e-mail page lacks %q:\n%s", want, page)
		}
	}
	if n := strings.Count(page, "<a href=\""+s.cfg.BaseURL); n != 1 {
		t.Errorf("%d links into the installation, want exactly the reset link:\n%s", n, page)
	}
	for _, bad := range []string{`href="https://evil.example`, `href="javascript:`, "<script>alert", "<b>Ana",
		"HTML-ONLY-MARKER", "onclick", `href="` + s.cfg.BaseURL + `.evil`, `href="` + s.cfg.BaseURL + `@evil`} {
		if strings.Contains(page, bad) {
			t.Errorf("the e-mail page contains %q:\n%s", bad, page)
		}
	}
}

func TestAdminOutboxAccess(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	s.staff(models.RoleAgent, "bob@example.com")
	queueTestEmail(t, s, app.Email{To: "ana@example.com", Subject: "Secret reset", Text: "TOKEN-XYZ", Kind: "reset"})
	admin, agent, anon := s.browser(), s.browser(), s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, agent.login("bob@example.com", staffPassword), http.StatusSeeOther)
	rows, _, err := s.app.Stores.Outbox.List(context.Background(), 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("List = %d rows, %v", len(rows), err)
	}
	detail := fmt.Sprintf("/admin/outbox/%d", rows[0].ID)

	for _, path := range []string{"/admin/outbox", detail} {
		t.Run("agent "+path, func(t *testing.T) {
			resp := agent.get(path)
			wantStatus(t, resp, http.StatusForbidden)
			if body := readBody(t, resp); strings.Contains(body, "TOKEN-XYZ") || strings.Contains(body, "Secret reset") {
				t.Fatal("the 403 page shows the e-mail")
			}
		})
		t.Run("anonymous "+path, func(t *testing.T) {
			wantLoginRedirect(t, anon.get(path))
			wantHTMXLogin(t, anon.get(path, "HX-Request", "true"))
		})
	}
	cases := []struct {
		path string
		want int
	}{
		{detail, http.StatusOK},
		{"/admin/outbox/999999", http.StatusNotFound},
		{"/admin/outbox/0", http.StatusNotFound},
		{"/admin/outbox/-1", http.StatusNotFound},
		{"/admin/outbox/abc", http.StatusNotFound},
		{"/admin/outbox/1e3", http.StatusNotFound},
		{"/admin/outbox?before=abc", http.StatusBadRequest},
		{"/admin/outbox?before=-5", http.StatusBadRequest},
		{"/admin/outbox?before=999999", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run("admin "+tc.path, func(t *testing.T) {
			resp := admin.get(tc.path)
			wantStatus(t, resp, tc.want)
			body := readBody(t, resp)
			if tc.want != http.StatusOK && strings.Contains(body, "TOKEN-XYZ") {
				t.Fatal("an error page shows the e-mail")
			}
		})
	}
}

func TestAdminOutboxPaging(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	admin := s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	const total = models.OutboxPageSize + 7
	for i := range total {
		// Every e-mail carries the same time (the test clock stands still): the ID orders them.
		queueTestEmail(t, s, app.Email{To: fmt.Sprintf("c%d@example.com", i), Subject: fmt.Sprintf("Mail %d", i), Text: "t", Kind: "verify"})
	}
	olderLink := regexp.MustCompile(`href="(/admin/outbox\?before=\d+)" rel="next"`)
	seen := map[string]bool{}
	var order []string
	next, pages := "/admin/outbox", 0
	for next != "" {
		resp := admin.get(next)
		wantStatus(t, resp, http.StatusOK)
		body := readBody(t, resp)
		pages++
		for _, m := range outboxRowLink.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Fatalf("e-mail %s listed twice", m[1])
			}
			seen[m[1]] = true
			order = append(order, m[1])
		}
		if pages > 1 && !strings.Contains(body, `href="/admin/outbox">`) {
			t.Error("a later page has no link back to the newest")
		}
		next = ""
		if m := olderLink.FindStringSubmatch(body); m != nil {
			next = m[1]
		}
		if pages == 1 && len(order) != models.OutboxPageSize {
			t.Fatalf("first page lists %d e-mails, want %d", len(order), models.OutboxPageSize)
		}
	}
	if pages != 2 || len(seen) != total {
		t.Fatalf("%d pages listing %d e-mails, want 2 pages and %d", pages, len(seen), total)
	}
	if want := fmt.Sprintf("%d", total); order[0] != want || order[len(order)-1] != "1" {
		t.Errorf("order runs %s … %s, want %s … 1 (newest first)", order[0], order[len(order)-1], want)
	}
}

func TestAdminOutboxTranslated(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	s.staff(models.RoleAdmin, "ada@example.com")
	admin := s.browser()
	wantStatus(t, admin.login("ada@example.com", staffPassword), http.StatusSeeOther)
	queueTestEmail(t, s, app.Email{To: "ana@example.com", Subject: "Oi", Text: "t", Kind: "verify"})
	body := readBody(t, admin.get("/admin/outbox", "Accept-Language", "pt-BR"))
	for _, want := range []string{"Caixa de saída", "Guardado (não enviado)", "Destinatário", "Tentativas"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Portuguese listing lacks %q", want)
		}
	}
}

// TestOutboxTemplatesRenderEmpty renders the outbox templates with their empty view models in
// both languages (as TestEveryTemplateRenders does for the templates it knows).
func TestOutboxTemplatesRenderEmpty(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	keyLeft := regexp.MustCompile(`>\s*(?:[a-z_]+\.)+[a-z_0-9]+\s*<`)
	admin := &Viewer{Kind: models.KindStaff, Staff: &models.StaffUser{ID: 1, Name: "Ada", Role: models.RoleAdmin, Active: true}}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, lang := range []string{"en", "pt-BR"} {
		b := Base{Lang: lang, Viewer: admin, tr: s.h.tr}
		for name, vm := range map[string]any{
			"pages/admin/outbox":       outboxPage{Base: b},
			"pages/admin/outbox_email": outboxEmailPage{Base: b},
			"pages/admin/outbox_email#full": outboxEmailPage{Base: b, Body: "text", Email: models.OutboxEmail{ID: 1,
				Status: models.OutboxFailed, SentAt: &now, NextAttemptAt: &now, LastError: "451", HTMLBody: "<p>"}},
			"pages/admin/outbox#full": outboxPage{Base: b, SMTPConfigured: true, Paged: true, OlderURL: "/admin/outbox?before=3",
				Emails: []models.OutboxEmail{{ID: 3, Status: models.OutboxPending}, {ID: 2, Status: models.OutboxSent},
					{ID: 1, Status: models.OutboxFailed}, {ID: 4, Status: models.OutboxHeld}}},
		} {
			var buf bytes.Buffer
			if err := engine.Render(&buf, strings.Split(name, "#")[0], vm); err != nil {
				t.Errorf("%s (%s): %v", name, lang, err)
				continue
			}
			out := buf.String()
			if strings.Contains(out, "<no value>") || strings.Contains(out, "{{") || strings.Contains(out, "outbox.status") {
				t.Errorf("%s (%s): unfilled output:\n%s", name, lang, out)
			}
			if m := keyLeft.FindString(out); m != "" {
				t.Errorf("%s (%s): untranslated message ID %s", name, lang, m)
			}
		}
	}
}

func TestLinkifyOwnURLs(t *testing.T) {
	t.Parallel()
	const base = "https://help.example.com"
	cases := []struct{ name, in, want string }{
		{"plain text is escaped", `a <b> & "c"`, `a &lt;b&gt; &amp; &#34;c&#34;`},
		{"own link", "go to https://help.example.com/portal/reset/abc now",
			`go to <a href="https://help.example.com/portal/reset/abc">https://help.example.com/portal/reset/abc</a> now`},
		{"own link with a query and trailing full stop", "see https://help.example.com/x?a=1&b=2.",
			`see <a href="https://help.example.com/x?a=1&amp;b=2">https://help.example.com/x?a=1&amp;b=2</a>.`},
		{"the bare base", "https://help.example.com", `<a href="https://help.example.com">https://help.example.com</a>`},
		{"in parentheses", "(https://help.example.com/a)", `(<a href="https://help.example.com/a">https://help.example.com/a</a>)`},
		{"a link ends at a quote", `https://help.example.com/a"onmouseover="x`,
			`<a href="https://help.example.com/a">https://help.example.com/a</a>&#34;onmouseover=&#34;x`},
		{"a link ends at an angle bracket", `https://help.example.com/a<script>`,
			`<a href="https://help.example.com/a">https://help.example.com/a</a>&lt;script&gt;`},
		{"foreign link", "https://evil.example/x", "https://evil.example/x"},
		{"lookalike host", "https://help.example.com.evil.example/x", "https://help.example.com.evil.example/x"},
		{"userinfo trick", "https://help.example.com@evil.example/x", "https://help.example.com@evil.example/x"},
		{"other port", "https://help.example.com:8443/x", "https://help.example.com:8443/x"},
		{"embedded in another URL", "https://evil.example/?u=https://help.example.com/x",
			"https://evil.example/?u=https://help.example.com/x"},
		{"http is not https", "http://help.example.com/x", "http://help.example.com/x"},
		{"two links", "https://help.example.com/a and https://help.example.com/b",
			`<a href="https://help.example.com/a">https://help.example.com/a</a> and <a href="https://help.example.com/b">https://help.example.com/b</a>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(linkifyOwnURLs(tc.in, base+"/")); got != tc.want {
				t.Fatalf("linkify(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
	if got := string(linkifyOwnURLs("<a>", "")); got != "&lt;a&gt;" {
		t.Errorf("without a base URL: %s", got)
	}
}
