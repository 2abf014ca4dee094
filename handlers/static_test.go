package handlers

// Static files: content-hashed URLs, caching, ETags, gzip, content types; and /healthz.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"portico/models/dbtest"
	"portico/static"
)

func TestAssetURLsCarryContentHash(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	body := readBody(t, s.browser().get("/login"))
	refs := regexp.MustCompile(`"/static/([^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(body, -1)
	seen := map[string]bool{}
	for _, m := range refs {
		data, err := fs.ReadFile(static.FS, m[1])
		if err != nil {
			t.Errorf("the page links %s, which is not embedded", m[1])
			continue
		}
		sum := sha256.Sum256(data)
		if !strings.HasPrefix(hex.EncodeToString(sum[:]), m[2]) || len(m[2]) < 12 {
			t.Errorf("%s?v=%s: v is not the content hash", m[1], m[2])
		}
		seen[m[1]] = true
	}
	for _, want := range []string{"css/app.css", "img/favicon.svg", "js/htmx.min.js"} {
		if !seen[want] {
			t.Errorf("the page does not link %s with ?v=", want)
		}
	}
	if strings.Contains(regexp.MustCompile(`/static/[^"]+`).ReplaceAllStringFunc(body, func(u string) string {
		if strings.Contains(u, "?v=") {
			return ""
		}
		return u
	}), "/static/") {
		t.Error("a /static/ URL without ?v= on the page")
	}
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	b := s.browser()
	served := 0
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") {
			return err
		}
		data, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		served++
		url := s.h.assets.url(p)
		etag := `"` + s.h.assets.files[p].hash + `"`
		t.Run(p, func(t *testing.T) {
			cases := []struct {
				name, target string
				headers      []string
				status       int
				cache        string // substring of Cache-Control
				notCache     string // must not be in Cache-Control
			}{
				{"current hash", url, nil, 200, "public, max-age=31536000, immutable", ""},
				{"no hash", "/static/" + p, nil, 200, "no-cache", "immutable"},
				{"stale hash", "/static/" + p + "?v=000000000000", nil, 200, "no-cache", "immutable"},
				{"matching ETag", url, []string{"If-None-Match", etag}, 304, "", ""},
				{"other ETag", "/static/" + p, []string{"If-None-Match", `"0000"`}, 200, "no-cache", ""},
			}
			for _, tc := range cases {
				resp := b.get(tc.target, tc.headers...)
				got := readBody(t, resp)
				if resp.StatusCode != tc.status {
					t.Fatalf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
				}
				cc := resp.Header.Get("Cache-Control")
				if !strings.Contains(cc, tc.cache) || (tc.notCache != "" && strings.Contains(cc, tc.notCache)) {
					t.Errorf("%s: Cache-Control = %q, want %q", tc.name, cc, tc.cache)
				}
				if len(resp.Header.Values("Set-Cookie")) > 0 {
					t.Errorf("%s: a static file sets a cookie: %q", tc.name, resp.Header.Values("Set-Cookie"))
				}
				switch tc.status {
				case 200:
					if got != string(data) {
						t.Errorf("%s: body is not the file (%d bytes, want %d)", tc.name, len(got), len(data))
					}
					if resp.Header.Get("ETag") != etag {
						t.Errorf("%s: ETag = %q, want %q", tc.name, resp.Header.Get("ETag"), etag)
					}
				case 304:
					if got != "" {
						t.Errorf("%s: 304 with a body", tc.name)
					}
				}
			}

			// gzip when accepted, and only when it saves bytes.
			resp := b.get(url, "Accept-Encoding", "gzip, deflate, br")
			zipped := readBody(t, resp)
			if resp.Header.Get("Content-Encoding") == "gzip" {
				if len(zipped) >= len(data) {
					t.Errorf("gzip answer is %d bytes, the file %d", len(zipped), len(data))
				}
				zr, err := gzip.NewReader(strings.NewReader(zipped))
				if err != nil {
					t.Fatal(err)
				}
				plain, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(plain, data) {
					t.Errorf("gzip answer does not unpack to the file (err %v)", err)
				}
				if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("gzip answer without Vary: Accept-Encoding")
				}
			} else if textLike(resp.Header.Get("Content-Type")) {
				t.Errorf("text asset not gzipped although accepted (Content-Type %q)", resp.Header.Get("Content-Type"))
			}
			if resp := b.get(url, "Accept-Encoding", "identity"); resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("Content-Encoding %q although not accepted", resp.Header.Get("Content-Encoding"))
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if served == 0 {
		t.Fatal("no static files")
	}
}

func TestStaticContentTypes(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	b := s.browser()
	cases := []struct{ path, want string }{
		{"js/htmx.min.js", "javascript"},
		{"js/htmx-ext-sse.js", "javascript"},
		{"css/app.css", "text/css"},
		{"img/favicon.svg", "image/svg+xml"},
	}
	for _, tc := range cases {
		resp := b.get(s.h.assets.url(tc.path))
		wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tc.want) {
			t.Errorf("%s: Content-Type %q, want %s", tc.path, ct, tc.want)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: without nosniff", tc.path)
		}
	}
}

func TestStaticUnknownPaths(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	b := s.browser()
	for _, p := range []string{
		"/static/nope.css",
		"/static/js/VENDORED.md",
		"/static/embed.go",
		"/static/",
		"/static/css",
		"/static/../go.mod",
		"/static/%2e%2e/go.mod",
		"/static/css/../../config/config.go",
	} {
		resp := b.get(p)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
		if strings.Contains(body, "package ") || strings.Contains(body, "module portico") {
			t.Errorf("GET %s served source code", p)
		}
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	resp := s.browser().get("/healthz")
	wantStatus(t, resp, http.StatusOK)
	if body := strings.TrimSpace(readBody(t, resp)); body != "ok" {
		t.Fatalf("body %q, want ok", body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}

	down := newTestServer(t, dbtest.SQLite(t), testConfig(t))
	if err := down.app.Stores.DB.Close(); err != nil {
		t.Fatal(err)
	}
	resp = down.browser().get("/healthz")
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if body := readBody(t, resp); strings.Contains(body, "sql") || strings.Contains(body, "closed") {
		t.Errorf("503 body shows the cause: %q", body)
	}
	// The rest of the site still answers what needs no database.
	wantStatus(t, down.browser().get("/login"), http.StatusOK)
}

func textLike(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") || strings.Contains(ct, "svg")
}
