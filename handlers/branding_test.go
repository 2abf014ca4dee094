package handlers

// Branding (SPEC P-10): the branding form, uploads of logo and favicon (SECURITY FILE-02/03),
// the files served at /branding/:id, and the view helper the layout uses.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// upload is one file part of a multipart form.
type upload struct {
	field, filename, contentType string
	data                         []byte
}

// postMultipart submits a multipart form (with the CSRF token of page unless noToken) the way
// a browser does, keeping the browser's cookies.
func (b *browser) postMultipart(page, target string, fields url.Values, files []upload, noToken bool) *http.Response {
	b.s.t.Helper()
	return b.send(b.multipartRequest(page, target, fields, files, noToken))
}

func (b *browser) multipartRequest(page, target string, fields url.Values, files []upload, noToken bool) *http.Request {
	b.s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if !noToken {
		w.WriteField(CSRFField, b.csrf(page))
	}
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		// Written by hand, as a hostile client would: no escaping of the name.
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.filename+`"`)
		h.Set("Content-Type", f.contentType)
		part, err := w.CreatePart(h)
		if err != nil {
			b.s.t.Fatal(err)
		}
		part.Write(f.data)
	}
	w.Close()
	req := httptest.NewRequest("POST", target, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

// testPNG is a real w×h PNG.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{R: uint8(x), G: 0x80, B: uint8(y), A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testICO wraps a PNG in an ICO container (one image), as modern favicons are.
func testICO(t testing.TB) []byte {
	t.Helper()
	p := testPNG(t, 16, 16)
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, []uint16{0, 1, 1})                    // reserved, type icon, 1 image
	buf.Write([]byte{16, 16, 0, 0})                                               // width, height, colours, reserved
	binary.Write(&buf, binary.LittleEndian, []uint16{1, 32})                      // planes, bits per pixel
	binary.Write(&buf, binary.LittleEndian, []uint32{uint32(len(p)), uint32(22)}) // size, offset
	buf.Write(p)
	return buf.Bytes()
}

func brandingValues() url.Values {
	v := url.Values{"primary": {"#112233"}, "primary_picker": {"#1d4ed8"}, "secondary": {"#0f766e"},
		"secondary_picker": {"#0f766e"}, "welcome": {"  Hello <b>there</b>  "}}
	// Five menu rows as the page offers them: two filled, three empty.
	v["nav_label"] = []string{"Status", "", "Docs", "", ""}
	v["nav_url"] = []string{"https://status.example.com", "", "/kb", "", ""}
	return v
}

func TestSaveBranding(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	body := readBody(t, b.get("/admin/portal/branding"))
	wantContains(t, body, `enctype="multipart/form-data"`, `type="color"`, `value="#1d4ed8"`, `name="logo" type="file"`,
		`name="favicon" type="file"`)
	if n := strings.Count(body, `name="nav_url"`); n < navEmptyRows {
		t.Fatalf("%d empty menu rows, want at least %d", n, navEmptyRows)
	}

	logo, favicon := testPNG(t, 40, 20), testICO(t)
	resp := b.postMultipart("/admin/portal/branding", "/admin/portal/branding", brandingValues(), []upload{
		{"logo", "../../etc/passwd%0D%0AX-Evil: 1.png", "image/svg+xml", logo},
		{"favicon", "favicon.ico", "application/octet-stream", favicon},
	}, false)
	wantRedirect(t, resp, "/admin/portal/branding")

	p := s.portalSettings()
	br := p.Branding
	wantNav := []models.NavLink{{Label: "Status", URL: "https://status.example.com"}, {Label: "Docs", URL: "/kb"}}
	if br.Primary != "#112233" || br.Secondary != "#0f766e" || br.Welcome != "Hello <b>there</b>" ||
		!reflect.DeepEqual(br.Nav, wantNav) || !models.ValidPublicID(br.LogoID) || !models.ValidPublicID(br.FaviconID) {
		t.Fatalf("saved branding = %+v", br)
	}
	body = readBody(t, b.get("/admin/portal/branding"))
	wantContains(t, body, "Branding saved.", `value="#112233"`, `>Hello &lt;b&gt;there&lt;/b&gt;</textarea>`,
		`value="https://status.example.com"`, `value="/kb"`, `src="/branding/`+br.LogoID+`"`, `src="/branding/`+br.FaviconID+`"`,
		`name="remove_logo"`)
	if n := strings.Count(body, `name="nav_url"`); n != 2+navEmptyRows {
		t.Fatalf("%d menu rows after saving two links, want %d", n, 2+navEmptyRows)
	}

	// The files are served as sniffed, whatever name and type the browser claimed.
	for _, f := range []struct {
		id, ctype, name string
		data            []byte
	}{{br.LogoID, "image/png", "logo.png", logo}, {br.FaviconID, "image/x-icon", "favicon.ico", favicon}} {
		resp := s.browser().get("/branding/" + f.id)
		wantStatus(t, resp, http.StatusOK)
		wantBrandingHeaders(t, resp, f.ctype)
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+f.name+`"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if resp.Header.Get("X-Evil") != "" {
			t.Error("the uploaded file name reached a header")
		}
		if got := []byte(readBody(t, resp)); !bytes.Equal(got, f.data) {
			t.Errorf("served %d bytes, want the %d uploaded", len(got), len(f.data))
		}
	}
	// The blobs live under generated keys: the uploaded name reaches no path.
	keyRe := regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{32}$`)
	for _, id := range []string{br.LogoID, br.FaviconID} {
		f, err := s.app.Stores.Branding.ByPublicID(context.Background(), id)
		if err != nil || !keyRe.MatchString(f.StorageKey) {
			t.Fatalf("stored file %+v, %v", f, err)
		}
	}

	t.Run("raw CRLF in a file name", func(t *testing.T) {
		// Not something a browser sends (it escapes CR and LF): fasthttp refuses the malformed
		// body before any handler runs, and nothing is stored.
		req := b.multipartRequest("/admin/portal/branding", "/admin/portal/branding", brandingValues(),
			[]upload{{"logo", "a\r\nX-Evil: 1\r\n.png", "image/png", testPNG(t, 2, 2)}}, false)
		req.Header.Set("Cookie", b.cookieHeader())
		resp, err := s.fiber.Test(req, -1)
		if err == nil && (resp.StatusCode >= 500 || resp.Header.Get("X-Evil") != "") {
			t.Fatalf("status %d, X-Evil %q", resp.StatusCode, resp.Header.Get("X-Evil"))
		}
		if got := s.portalSettings().Branding.LogoID; got != br.LogoID {
			t.Fatalf("logo changed to %q", got)
		}
	})
	t.Run("conditional request", func(t *testing.T) {
		etag := s.browser().get("/branding/" + br.LogoID).Header.Get("ETag")
		resp := s.browser().get("/branding/"+br.LogoID, "If-None-Match", etag)
		wantStatus(t, resp, http.StatusNotModified)
	})
	t.Run("replace the logo, remove the favicon", func(t *testing.T) {
		v := brandingValues()
		v.Set("remove_favicon", "true")
		resp := b.postMultipart("/admin/portal/branding", "/admin/portal/branding", v,
			[]upload{{"logo", "new.png", "image/png", testPNG(t, 8, 8)}}, false)
		wantRedirect(t, resp, "/admin/portal/branding")
		now := s.portalSettings().Branding
		if now.LogoID == br.LogoID || !models.ValidPublicID(now.LogoID) || now.FaviconID != "" {
			t.Fatalf("after replacing = %+v", now)
		}
		for _, gone := range []string{br.LogoID, br.FaviconID} {
			wantStatus(t, s.browser().get("/branding/"+gone), http.StatusNotFound)
		}
		wantStatus(t, s.browser().get("/branding/"+now.LogoID), http.StatusOK)
		if n := countRows(t, s.app.Stores.DB, "branding_files"); n != 1 {
			t.Fatalf("%d branding files stored, want 1", n)
		}
		// Remove the logo too.
		v.Set("remove_logo", "true")
		wantRedirect(t, b.postMultipart("/admin/portal/branding", "/admin/portal/branding", v, nil, false), "/admin/portal/branding")
		if now := s.portalSettings().Branding; now.LogoID != "" {
			t.Fatalf("logo not removed: %+v", now)
		}
		wantContains(t, readBody(t, b.get("/admin/portal/branding")), "No logo uploaded.", "No favicon uploaded")
	})
	t.Run("a plain form (no multipart) saves colours and keeps files", func(t *testing.T) {
		v := brandingValues()
		v.Set("primary", "#445566")
		wantRedirect(t, b.post("/admin/portal/branding", "/admin/portal/branding", v), "/admin/portal/branding")
		if got := s.portalSettings().Branding.Primary; got != "#445566" {
			t.Fatalf("primary = %s", got)
		}
	})
}

func wantBrandingHeaders(t testing.TB, resp *http.Response, ctype string) {
	t.Helper()
	want := map[string]string{
		"Content-Type":            ctype,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox; default-src 'none'",
		"Cache-Control":           "public, max-age=31536000, immutable",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestBrandingColourPicker(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, saved, text, picker, want string }{
		{"only the picker changed", "#1d4ed8", "#1d4ed8", "#ff0000", "#ff0000"},
		{"only the text changed", "#1d4ed8", "#00ff00", "#1d4ed8", "#00ff00"},
		{"both changed: the text wins", "#1d4ed8", "#00ff00", "#ff0000", "#00ff00"},
		{"text in another case is not a change", "#1d4ed8", "#1D4ED8", "#ff0000", "#ff0000"},
		{"no picker (no-JS client without it)", "#1d4ed8", "#abcdef", "", "#abcdef"},
		{"nothing at all", "#1d4ed8", "", "", ""},
	}
	for _, tc := range cases {
		if got := pickColour(tc.saved, tc.text, tc.picker); got != tc.want {
			t.Errorf("%s: pickColour(%q, %q, %q) = %q, want %q", tc.name, tc.saved, tc.text, tc.picker, got, tc.want)
		}
	}
}

func TestBrandingFieldErrors(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	before := s.portalSettings()
	bigPNG := append(testPNG(t, 4, 4), bytes.Repeat([]byte{0}, 1<<20)...)
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
	html := []byte("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>")
	polyglot := append([]byte("GIF89a/*"), []byte("\x00\x00*/=alert(1);//")...)
	cases := []struct {
		name    string
		mutate  func(url.Values)
		files   []upload
		field   string
		message string
	}{
		{"bad colour", func(v url.Values) { v.Set("primary", "red;}body{x:y") }, nil, "primary", "#rrggbb"},
		{"bad secondary colour", func(v url.Values) { v.Set("secondary", "#12345g") }, nil, "secondary", "#rrggbb"},
		{"javascript menu link", func(v url.Values) { v["nav_url"][0] = "javascript:alert(1)" }, nil, "nav", "Each menu link"},
		{"javascript menu link, mixed case and spaces", func(v url.Values) { v["nav_url"][2] = " JaVaScRiPt:alert(1)" }, nil, "nav", "Each menu link"},
		{"protocol-relative menu link", func(v url.Values) { v["nav_url"][0] = "//evil.example" }, nil, "nav", "Each menu link"},
		{"menu link without label", func(v url.Values) { v["nav_label"][0] = "" }, nil, "nav", "Each menu link"},
		{"welcome too long", func(v url.Values) { v.Set("welcome", strings.Repeat("w", 4001)) }, nil, "welcome", "too long"},
		{"HTML renamed .png", nil, []upload{{"logo", "logo.png", "image/png", html}}, "logo", "Upload a PNG"},
		{"SVG logo", nil, []upload{{"logo", "logo.svg", "image/svg+xml", svg}}, "logo", "Upload a PNG"},
		{"SVG favicon typed image/svg+xml; x", nil, []upload{{"favicon", "f.png", "image/svg+xml; x", svg}}, "favicon", "Upload a PNG"},
		{"GIF/JS polyglot", nil, []upload{{"logo", "a.gif", "image/gif", polyglot}}, "logo", ""},
		{"ICO as logo", nil, []upload{{"logo", "logo.ico", "image/x-icon", testICO(t)}}, "logo", "Upload a PNG"},
		{"oversized logo", nil, []upload{{"logo", "big.png", "image/png", bigPNG}}, "logo", "too large"},
		{"oversized favicon", nil, []upload{{"favicon", "f.png", "image/png", append(testPNG(t, 2, 2), bytes.Repeat([]byte{0}, 256<<10)...)}}, "favicon", "too large"},
		{"huge dimensions", nil, []upload{{"logo", "wide.png", "image/png", testPNG(t, 5000, 1)}}, "logo", "4096 pixels"},
		{"empty file", nil, []upload{{"logo", "empty.png", "image/png", nil}}, "logo", "Upload a PNG"},
		{"good logo with a bad favicon stores neither", nil, []upload{{"logo", "ok.png", "image/png", testPNG(t, 4, 4)},
			{"favicon", "f.svg", "image/svg+xml", svg}}, "favicon", "Upload a PNG"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := brandingValues()
			if tc.mutate != nil {
				tc.mutate(v)
			}
			resp := b.postMultipart("/admin/portal/branding", "/admin/portal/branding", v, tc.files, false)
			wantStatus(t, resp, http.StatusOK)
			body := readBody(t, resp)
			wantContains(t, body, `id="branding-`+tc.field+`-error">`, `aria-invalid="true"`, tc.message)
			if !reflect.DeepEqual(s.portalSettings(), before) {
				t.Fatalf("a refused form changed the settings: %+v", s.portalSettings().Branding)
			}
			if n := countRows(t, s.app.Stores.DB, "branding_files"); n != 0 {
				t.Fatalf("%d branding files stored by a refused form", n)
			}
		})
	}
	t.Run("the submitted values stay in the form", func(t *testing.T) {
		v := brandingValues()
		v["nav_url"][0] = "javascript:alert(1)"
		body := readBody(t, b.postMultipart("/admin/portal/branding", "/admin/portal/branding", v, nil, false))
		wantContains(t, body, `value="#112233"`, `value="javascript:alert(1)"`, `value="Status"`)
		wantNotContains(t, body, `href="javascript:`)
	})
	t.Run("no CSRF token", func(t *testing.T) {
		resp := b.postMultipart("/admin/portal/branding", "/admin/portal/branding", brandingValues(),
			[]upload{{"logo", "ok.png", "image/png", testPNG(t, 4, 4)}}, true)
		wantStatus(t, resp, http.StatusForbidden)
		if n := countRows(t, s.app.Stores.DB, "branding_files"); n != 0 || !reflect.DeepEqual(s.portalSettings(), before) {
			t.Fatal("a forged upload changed something")
		}
	})
}

// SECURITY AC-04: the branding form sets branding only; file ids come from uploads alone.
func TestBrandingIgnoresExtraFields(t *testing.T) {
	t.Parallel()
	s, b := adminSession(t)
	before := s.portalSettings()
	v := brandingValues()
	for k, vals := range map[string][]string{
		"logo_id": {strings.Repeat("ab", 16)}, "branding.logo_id": {strings.Repeat("ab", 16)}, "LogoID": {strings.Repeat("ab", 16)},
		"favicon_id": {strings.Repeat("cd", 16)}, "slug": {"evil"}, "previous_slugs": {"x"}, "access_mode": {"lists"},
		"sso.jwt_enabled": {"true"}, "title": {"hijack"},
	} {
		v[k] = vals
	}
	wantRedirect(t, b.postMultipart("/admin/portal/branding", "/admin/portal/branding", v, nil, false), "/admin/portal/branding")
	want := before
	want.Branding = models.Branding{Primary: "#112233", Secondary: "#0f766e", Welcome: "Hello <b>there</b>",
		Nav: []models.NavLink{{Label: "Status", URL: "https://status.example.com"}, {Label: "Docs", URL: "/kb"}}}
	gj, _ := json.Marshal(s.portalSettings())
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatalf("settings after a form with extra fields:\n got %s\nwant %s", gj, wj)
	}
}

func TestServeBrandingFile(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	anon := s.browser()
	for _, id := range []string{strings.Repeat("0", 32), strings.Repeat("ab", 16), "1", "..%2F..%2Fetc%2Fpasswd", "x%0d%0aSet-Cookie:%20a=b"} {
		resp := anon.get("/branding/" + id)
		wantStatus(t, resp, http.StatusNotFound)
		if resp.Header.Get("Set-Cookie") != "" && strings.Contains(resp.Header.Get("Set-Cookie"), "a=b") {
			t.Fatal("header injection")
		}
	}
	// A row whose blob went missing is a 404 too, not a 500.
	f := models.BrandingFile{PublicID: strings.Repeat("ef", 16), Kind: models.BrandingLogo, ContentType: "image/png",
		Size: 3, StorageKey: "zz/missing", SHA256: "x"}
	if err := s.app.Stores.Branding.Create(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, anon.get("/branding/"+f.PublicID), http.StatusNotFound)

	// An uploaded file is public: anyone, signed in or not, gets it with the safe headers.
	s2, b := adminSession(t)
	data := testPNG(t, 3, 3)
	wantRedirect(t, b.postMultipart("/admin/portal/branding", "/admin/portal/branding", brandingValues(),
		[]upload{{"logo", "x.png", "text/html", data}}, false), "/admin/portal/branding")
	id := s2.portalSettings().Branding.LogoID
	for _, who := range []*browser{s2.browser(), b} {
		resp := who.get("/branding/" + id)
		wantStatus(t, resp, http.StatusOK)
		wantBrandingHeaders(t, resp, "image/png")
		if got := readBody(t, resp); got != string(data) {
			t.Fatal("served content differs from the upload")
		}
	}
}

func TestBrandingView(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	ctx := context.Background()
	p := s.portalSettings()
	p.Title, p.Slug = "ACME help", "help"
	p.Branding = models.Branding{LogoID: strings.Repeat("ab", 16), Primary: "#A1B2C3", Secondary: "#0f766e",
		Welcome: "Hi <there>", Nav: []models.NavLink{{Label: "Docs", URL: "/kb"}, {Label: "Status", URL: "https://status.example.com"}}}
	if err := s.app.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
	view := func(s *testServer, host, path string) BrandingView {
		f := fiber.New()
		f.Use(s.h.portalRouting)
		f.Get("/*", func(c *fiber.Ctx) error { return c.JSON(s.h.brandingView(c)) })
		req := httptest.NewRequest("GET", path, nil)
		req.Host = host
		resp, err := f.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var v BrandingView
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	got := view(s, "example.com", "/admin")
	want := BrandingView{Title: "ACME help", LogoURL: "/branding/" + strings.Repeat("ab", 16), Primary: "#a1b2c3",
		Secondary: "#0f766e", Welcome: "Hi <there>", Nav: p.Branding.Nav, PortalURL: "/help"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("brandingView = %+v\nwant %+v", got, want)
	}

	// On the custom domain the portal is at the root.
	p.CustomDomain = "help.example.com"
	if err := s.app.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := view(s, "help.example.com", "/"); got.PortalURL != "/" {
		t.Fatalf("PortalURL on the custom domain = %q", got.PortalURL)
	}

	// Whatever is stored, the view only ever carries safe values.
	bad := models.Branding{LogoID: "../x", FaviconID: "javascript:alert(1)", Primary: "red;}</style><script>",
		Secondary: "", Nav: []models.NavLink{{Label: "x", URL: "javascript:alert(1)"}, {Label: "", URL: "/kb"}, {Label: "ok", URL: "/ok"}}}
	if err := s.app.Stores.Settings.Put(ctx, "portal", models.PortalSettings{Title: "t", Slug: "portal", Branding: bad}); err != nil {
		t.Fatal(err)
	}
	got = view(newTestServer(t, s.app.Stores.DB, s.cfg), "example.com", "/") // a fresh settings cache
	def := models.DefaultPortalSettings().Branding
	if got.LogoURL != "" || got.FaviconURL != "" || got.Primary != def.Primary || got.Secondary != def.Secondary ||
		!reflect.DeepEqual(got.Nav, []models.NavLink{{Label: "ok", URL: "/ok"}}) {
		t.Fatalf("view of unsafe stored branding = %+v", got)
	}
}

// The brand colours are plain #rrggbb; what the layout will put in a <style> block is checked.
func TestIsColour(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"#000000": true, "#AbCdEf": true, "#abc": false, "000000": false,
		"#00000g": false, "#0000000": false, "red": false, "#00000;": false, "": false} {
		if got := isColour(s); got != want {
			t.Errorf("isColour(%q) = %v", s, got)
		}
	}
	re := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	for _, v := range []string{pickerValue("#ABCDEF", "#000000"), pickerValue("bad", "#123456"), pickerValue("bad", "bad")} {
		if !re.MatchString(v) {
			t.Errorf("picker value %q is not lower-case #rrggbb", v)
		}
	}
}
