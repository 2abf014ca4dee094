package app

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkSafeHTML fails when out holds an element or attribute the article policy forbids.
func checkSafeHTML(t testing.TB, in, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("script in output of %q: %s", in, out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "form", "object", "embed", "base", "meta", "svg", "math", "input", "link":
			t.Fatalf("<%s> in output of %q: %s", tok.Data, in, out)
		}
		for _, a := range tok.Attr {
			k := strings.ToLower(a.Key)
			v := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(k, "on"), strings.HasPrefix(k, "hx-"), strings.HasPrefix(k, "data-"), k == "style":
				t.Fatalf("attribute %s in output of %q: %s", a.Key, in, out)
			case k == "href" && !safeScheme(v, "", "http", "https", "mailto"):
				t.Fatalf("link %q in output of %q", a.Val, in)
			case k == "src" && (!safeScheme(v, "", "http", "https") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\")):
				t.Fatalf("image source %q in output of %q", a.Val, in)
			}
		}
	}
}

// safeScheme reports whether the URL parses with one of the schemes ("" for relative).
func safeScheme(v string, schemes ...string) bool {
	u, err := url.Parse(v)
	return err == nil && slices.Contains(schemes, strings.ToLower(u.Scheme))
}

func TestRenderMarkdownNeutralisesXSS(t *testing.T) {
	payloads := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`![x](javascript:alert(1))`,
		`[click](javascript:alert(1))`,
		`[click](JaVaScRiPt:alert(1))`,
		`[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
		`<svg onload=alert(1)>`,
		`<a href="/x" hx-get="/admin" hx-trigger="load">x</a>`,
		`<div data-hx-post="/logout" hx-on::load="alert(1)">x</div>`,
		`<style>body{display:none}</style>`,
		`<iframe src="https://evil.example"></iframe>`,
		`<form action="/x"><input name=a></form>`,
		`<object data=x></object><embed src=x><base href="https://evil"><meta http-equiv=refresh content=0>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		"```html\n<script>alert(1)</script>\n```",
		`![x](//evil.example/a.png) ![y](/\evil.example/b.png)`,
		`<https://example.com/" onmouseover="alert(1)>`,
		`[x](https://example.com/" onclick="alert(1))`,
		"[a](<javascript:alert(1)>)",
	}
	for _, p := range payloads {
		out := string(RenderMarkdown(p))
		checkSafeHTML(t, p, out)
		if again := SanitizeArticleHTML(out); again != out {
			t.Errorf("not idempotent for %q:\n%s\n%s", p, out, again)
		}
	}
	// And the sanitiser alone, on raw HTML.
	for _, p := range payloads {
		checkSafeHTML(t, p, SanitizeArticleHTML(p))
	}
}

func TestRenderMarkdownKeepsContent(t *testing.T) {
	cases := []struct{ in, want string }{
		{"# Title", "<h1>Title</h1>"},
		{"**bold** and ~~gone~~", "<strong>bold</strong>"},
		{"[site](https://example.com)", `<a href="https://example.com" rel="nofollow noopener">site</a>`},
		{"see https://example.com/x", `<a href="https://example.com/x" rel="nofollow noopener">`},
		{"[mail](mailto:help@example.com)", `href="mailto:help@example.com" rel="nofollow noopener"`},
		{"![logo](https://example.com/a.png)", `<img src="https://example.com/a.png" alt="logo">`},
		{"![logo](/branding/1)", `<img src="/branding/1" alt="logo">`},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "<table>"},
		{"```go\nx := 1\n```", `<code class="language-go">`},
		{"a < b & c", "a &lt; b &amp; c"},
	}
	for _, c := range cases {
		if out := string(RenderMarkdown(c.in)); !strings.Contains(out, c.want) {
			t.Errorf("RenderMarkdown(%q) = %s, want %s in it", c.in, out, c.want)
		}
	}
	if out := string(RenderMarkdown("![x](//evil.example/a.png)")); strings.Contains(out, "evil") && strings.Contains(out, "src=") {
		t.Errorf("protocol-relative image kept: %s", out)
	}
}

func TestHighlightEscapes(t *testing.T) {
	got := string(Highlight(`Reset <b>your</b> Password & "passwords"`, []string{"password"}, 200))
	want := `Reset &lt;b&gt;your&lt;/b&gt; <mark>Password</mark> &amp; &#34;<mark>password</mark>s&#34;`
	if got != want {
		t.Fatalf("Highlight = %s\nwant %s", got, want)
	}
	long := strings.Repeat("lorem ipsum ", 50) + "needle " + strings.Repeat("dolor ", 50)
	got = string(Highlight(long, []string{"needle"}, 60))
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") || !strings.Contains(got, "<mark>needle</mark>") {
		t.Fatalf("window: %s", got)
	}
	if got := string(Highlight("İstanbul ünïcode", []string{"ünïcode"}, 100)); !strings.Contains(got, "<mark>ünïcode</mark>") {
		t.Fatalf("unicode: %s", got)
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"# x", `<script>alert(1)</script>`, `[a](javascript:x)`, `<img src=x onerror=y>`,
		`<a hx-get="/x">`, "```\n<svg onload=x>\n```", `<div data-hx-post=/x>`, "![a](/x.png)", `[x](https://a.b "t")`, "[0](#0000:)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(RenderMarkdown(src))
		checkSafeHTML(t, src, out)
		if again := SanitizeArticleHTML(out); again != out {
			t.Fatalf("not idempotent for %q:\n%s\n%s", src, out, again)
		}
		raw := SanitizeArticleHTML(src)
		checkSafeHTML(t, src, raw)
		if again := SanitizeArticleHTML(raw); again != raw {
			t.Fatalf("sanitiser not idempotent for %q:\n%s\n%s", src, raw, again)
		}
	})
}
