package handlers

// Harness additions for the customer-portal journeys in e2e_portal_test.go: a browser started
// with extra Chromium flags (a custom domain mapped onto 127.0.0.1), form filling that replaces
// a field's text the way a person does, and reading the links of e-mails the live server sent.

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"portico/app"
	"portico/models"
)

// newBrowserWith is newBrowser with extra Chromium flags.
func newBrowserWith(t *testing.T, base string, extra ...chromedp.ExecAllocatorOption) *tab {
	t.Helper()
	return newBrowser(t, base, extra...)
}

// at returns a copy of the tab that treats base as the server's address (for waitPath and
// open), such as a custom domain mapped onto the live server.
func (b *tab) at(base string) *tab {
	nb := *b
	nb.base = base
	return &nb
}

// retype replaces the text of the input with this id as a person does: click into it, select
// everything with Ctrl+A and type over it.
func (b *tab) retype(id, value string) {
	b.t.Helper()
	b.do("retype #"+id,
		chromedp.Click(chromedp.ID(id)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Delete),
		chromedp.SendKeys(chromedp.ID(id), value),
	)
	if got := run(b, "read #"+id, chromedp.Value(chromedp.ID(id))); got != value {
		b.t.Fatalf("%s: #%s holds %q after typing %q", b.name, id, got, value)
	}
}

// click clicks the first element matching a CSS selector.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// submit clicks a plain (non-htmx) form's submit button and waits until the page it leads
// to has loaded, returning that page's status. Waiting for the path alone is not enough when
// the form redirects back to its own page.
func (b *tab) submit(sel string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: submit with %s: %v (at %s)", b.name, sel, err, b.location())
	}
	b.do("wait for the page to load", chromedp.WaitReady(chromedp.CSS("body > footer")))
	return resp.Status
}

// checked reads whether the checkbox or radio button with this id is checked.
func (b *tab) checked(id string) bool {
	b.t.Helper()
	return run(b, "read #"+id+".checked", chromedp.JavascriptAttribute[bool](chromedp.ID(id), "checked"))
}

// selectedText is the text of the selected option of the select with this id.
func (b *tab) selectedText(id string) string {
	b.t.Helper()
	return strings.TrimSpace(eval[string](b, `document.getElementById("`+id+`").selectedOptions[0]?.textContent ?? ""`))
}

// waitTrue polls a JavaScript expression until it is true. Errors count as not yet: the page
// may be between two documents while a form submission navigates.
func (b *tab) waitTrue(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: waited %s for %s (%s; last error %v), at %s", b.name, waitTimeout, what, expr, err, b.location())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// portalSignIn fills the customer sign-in form by keyboard and presses Enter.
func (b *tab) portalSignIn(email, password string) {
	b.t.Helper()
	b.do("fill in the portal sign-in form",
		chromedp.SendKeys(chromedp.ID("portal-login-email"), email),
		chromedp.SendKeys(chromedp.ID("portal-login-password"), password+kb.Enter),
	)
}

// adminSignIn signs a staff account in through the staff form and waits for the dashboard.
func (b *tab) adminSignIn(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.signIn(email, password)
	b.waitPath("/admin")
}

// mailedLink returns the path of the first link to this live server in the newest e-mail to
// an address, with the e-mail's subject.
func (s *liveServer) mailedLink(t *testing.T, to string) (path, subject string) {
	t.Helper()
	subject, body := s.lastEmail(to)
	m := regexp.MustCompile(regexp.QuoteMeta(s.url) + `(/[^\s]+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link to %s in the e-mail to %s:\n%s", s.url, to, body)
	}
	return strings.TrimRight(m[1], ".,)>"), subject
}

// customerPassword is the password of the customers made by customer.
const customerPassword = "a good long password"

// customer stores a verified contact with customerPassword, as a finished registration leaves
// it (the registration itself is TestE2EPortalRegistrationWithConsent's journey).
func (s *liveServer) customer(t *testing.T, name, email string) models.Contact {
	t.Helper()
	hash, err := app.HashPassword(customerPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := s.app.Now()
	c := models.Contact{Email: email, Name: name, PasswordHash: hash, EmailVerifiedAt: &now, Active: true}
	if err := s.app.Stores.Contacts.Create(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// writePNG writes a w×h PNG in a temporary folder and returns its path.
func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: 0xaa, G: 0x22, B: uint8(x * 255 / w), A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
