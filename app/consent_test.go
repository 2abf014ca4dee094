package app

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"portico/models"
	"portico/models/dbtest"
)

// SECURITY XSS-01/02: the consent notice may hold links, so it is sanitised to a small subset.

func TestSanitizeConsent(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"script element", `<p>Hello <script>alert(1)</script>world</p>`, `<p>Hello world</p>`},
		{"event handler", `<img src=x onerror=alert(1)><p onclick="x()">Hi</p>`, `<p>Hi</p>`},
		{"javascript link", `<a href="javascript:alert(1)">click</a>`, `click`},
		{"obfuscated javascript link", `<a href="java&#x09;script:alert(1)">click</a>`, `click`},
		{"data link", `<a href="data:text/html,<script>alert(1)</script>">d</a>`, `d`},
		{"relative link", `<a href="/somewhere">rel</a>`, `rel`},
		{"htmx attributes", `<p hx-get="/admin" data-hx-post="/x" hx-on::click="alert(1)">Text</p>`, `<p>Text</p>`},
		{"https link gets rel and target",
			`<a href="https://example.com/privacy" hx-get="/evil" onclick="y">Privacy</a>`,
			`<a href="https://example.com/privacy" rel="nofollow noreferrer noopener" target="_blank">Privacy</a>`},
		{"mailto link", `<a href="mailto:dpo@example.com">DPO</a>`, `<a href="mailto:dpo@example.com" rel="nofollow noreferrer">DPO</a>`},
		{"allowed formatting",
			`<p><strong>Bold</strong> &amp; <em>it</em><br>x</p><ol><li>one</li></ol><ul><li>two</li></ul>`,
			`<p><strong>Bold</strong> &amp; <em>it</em><br>x</p><ol><li>one</li></ol><ul><li>two</li></ul>`},
		{"other elements go, text stays", `<div><b>b</b><h1>h</h1></div>`, `bh`},
		{"style, iframe, form, base, meta go", `<style>p{}</style><iframe src=x></iframe><form><input></form><base href=x><meta http-equiv=refresh>`, ``},
		{"mXSS noscript", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, `&#34;&gt;`},
		{"plain text is escaped", `Terms "apply" & more`, `Terms &#34;apply&#34; &amp; more`},
		{"NUL and invalid UTF-8", "a\x00b\xffc", "ab\uFFFDc"},
		{"surrounding space", "  <p>x</p>\n", `<p>x</p>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := SanitizeConsent(tc.in)
			if got != tc.want {
				t.Fatalf("SanitizeConsent(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := SanitizeConsent(got); again != got {
				t.Fatalf("not idempotent: %q → %q", got, again)
			}
			checkConsentHTML(t, got)
		})
	}
}

// checkConsentHTML asserts the XSS-02 properties of sanitised output: only allowed elements,
// no script, no event handlers, no hx-*/data-hx-*, links only to http, https and mailto.
func checkConsentHTML(t testing.TB, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("script in output: %q", out)
	}
	allowed := map[string]bool{"a": true, "p": true, "br": true, "strong": true, "em": true, "ul": true, "ol": true, "li": true}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowed[tok.Data] {
				t.Fatalf("element <%s> in output: %q", tok.Data, out)
			}
			for _, a := range tok.Attr {
				name := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(name, "on"), strings.HasPrefix(name, "hx-"), strings.HasPrefix(name, "data-"):
					t.Fatalf("attribute %s in output: %q", a.Key, out)
				case tok.Data != "a":
					t.Fatalf("attribute %s on <%s>: %q", a.Key, tok.Data, out)
				case name == "href":
					// What a browser does before resolving: drop tabs and line breaks, trim.
					v := strings.TrimSpace(strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(a.Val))
					u, err := url.Parse(v)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
						t.Fatalf("href %q in output: %q", a.Val, out)
					}
				case name != "rel" && name != "target":
					t.Fatalf("attribute %s on <a>: %q", a.Key, out)
				}
			}
		}
	}
}

func FuzzSanitizeConsent(f *testing.F) {
	for _, s := range []string{
		`<p>Hello <script>alert(1)</script>world</p>`,
		`<a href="https://example.com" hx-get="/x" onmouseover=alert(1)>x</a>`,
		`<a href="javascript:alert(1)">x</a>`, `<a href="JaVaScRiPt:alert(1)">x</a>`,
		`<a href=" javascript:alert(1)">x</a>`, `<a href="mailto:a@b.c?subject=x">m</a>`,
		`<svg onload=alert(1)>`, `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<p data-hx-vals='{"a":1}' hx-on::after-request="alert(1)">p</p>`,
		"<a href=\"http://\u0430pple.com\">cyrillic</a>", `<a href="http:">x</a>`, "<p>\x00</p>", "<<p>>", "<a href='https://x/\"onclick=alert(1)'>q</a>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeConsent(in)
		if again := SanitizeConsent(out); again != out {
			t.Fatalf("not idempotent:\n in  %q\n out %q\n out2 %q", in, out, again)
		}
		checkConsentHTML(t, out)
	})
}

func TestPublishConsent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		admin := models.StaffUser{Email: "ada@example.com", Name: "Ada", Role: models.RoleAdmin, PasswordHash: "x", Active: true}
		if err := a.Stores.Staff.Create(ctx, &admin); err != nil {
			t.Fatal(err)
		}

		// A fresh install has no consent text.
		if _, ok, err := a.CurrentConsent(ctx); err != nil || ok {
			t.Fatalf("fresh install: ok = %v, err = %v", ok, err)
		}
		// Nothing submitted over nothing: no version.
		if _, published, err := a.PublishConsent(ctx, "", "  ", admin.ID); err != nil || published {
			t.Fatalf("empty over none: published = %v, err = %v", published, err)
		}

		notice := `<p>We process your data. <a href="https://example.com/privacy" onclick="x()">Privacy</a><script>alert(1)</script></p>`
		v1, published, err := a.PublishConsent(ctx, notice, "  I agree\r\nto this ", admin.ID)
		if err != nil || !published || v1.Version != 1 {
			t.Fatalf("first publish = %+v, %v, %v", v1, published, err)
		}
		wantNotice := `<p>We process your data. <a href="https://example.com/privacy" rel="nofollow noreferrer noopener" target="_blank">Privacy</a></p>`
		cur, ok, err := a.CurrentConsent(ctx)
		if err != nil || !ok || cur.Notice != wantNotice || cur.CheckboxLabel != "I agree to this" || cur.Version != 1 {
			t.Fatalf("stored = %+v, %v, %v", cur, ok, err)
		}
		if cur.CreatedByID == nil || *cur.CreatedByID != admin.ID || !cur.CreatedAt.Equal(a.Now()) {
			t.Fatalf("stored author/time = %v, %v", cur.CreatedByID, cur.CreatedAt)
		}

		// The same text again (raw or already sanitised) publishes nothing.
		for _, n := range []string{notice, wantNotice} {
			got, published, err := a.PublishConsent(ctx, n, "I agree to this", admin.ID)
			if err != nil || published || got.Version != 1 {
				t.Fatalf("unchanged: %+v, %v, %v", got, published, err)
			}
		}
		// A changed label is a new version; so is a changed notice.
		v2, published, err := a.PublishConsent(ctx, wantNotice, "I accept", admin.ID)
		if err != nil || !published || v2.Version != 2 {
			t.Fatalf("label change = %+v, %v, %v", v2, published, err)
		}
		v3, published, err := a.PublishConsent(ctx, "<p>New</p>", "I accept", 0)
		if err != nil || !published || v3.Version != 3 || v3.CreatedByID != nil {
			t.Fatalf("notice change = %+v, %v, %v", v3, published, err)
		}

		// Refused input publishes nothing.
		var ve *models.ValidationError
		for _, tc := range []struct{ notice, label, field string }{
			{"<p>Notice</p>", "", "checkbox_label"},
			{"<p>Notice</p>", strings.Repeat("é", ConsentLabelMax+1), "checkbox_label"},
			{strings.Repeat("x", ConsentNoticeMax+1), "ok", "notice"},
		} {
			_, published, err := a.PublishConsent(ctx, tc.notice, tc.label, admin.ID)
			if !errors.As(err, &ve) || ve.Field != tc.field || published {
				t.Fatalf("notice %.20q label %.20q: err = %v, want a %s error", tc.notice, tc.label, err, tc.field)
			}
		}
		if _, _, err := a.PublishConsent(ctx, "", strings.Repeat("é", ConsentLabelMax), admin.ID); err != nil {
			t.Fatalf("label of exactly %d characters: %v", ConsentLabelMax, err)
		}
		cur, _, _ = a.CurrentConsent(ctx)
		if cur.Version != 4 {
			t.Fatalf("current version = %d, want 4", cur.Version)
		}
	})
}
