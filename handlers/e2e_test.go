package handlers

// End-to-end journeys in a real headless Chromium against a real Portico server (harness in
// browser_test.go). Each test fails on any JavaScript error or CSP violation the pages report.

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"portico/models"
	"portico/models/dbtest"
)

// signIn fills the staff sign-in form the way a person does: typing into the fields found by
// their labels' ids and pressing Enter in the password field.
func (b *tab) signIn(email, password string) {
	b.t.Helper()
	b.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.ID("login-email"), email),
		chromedp.SendKeys(chromedp.ID("login-password"), password+kb.Enter),
	)
}

// TestE2EStaffSignInJourney: an admin signs in with the keyboard through htmx, lands on the
// dashboard, goes to the desk by the navigation and signs out.
func TestE2EStaffSignInJourney(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := newLiveServer(t, db)
		_, pw := s.staff(models.RoleAdmin, "ada@example.com")
		b := newBrowser(t, s.url)

		if status := b.open("/login"); status != http.StatusOK {
			t.Fatalf("GET /login: status %d", status)
		}
		if got := b.text("h1"); got != "Sign in to Portico" {
			t.Fatalf("login heading = %q", got)
		}
		b.signIn("ada@example.com", pw)
		b.waitPath("/admin")
		posts := b.requestsTo("POST", "/login")
		if len(posts) != 1 || !posts[0].htmx {
			t.Fatalf("sign-in should be one htmx POST (HX-Request: true), got %+v", posts)
		}
		if got := b.text("main h1"); got != "Administration" {
			t.Fatalf("dashboard heading = %q", got)
		}
		if got := b.text("#stat-tickets"); got != "0" {
			t.Fatalf("tickets stat = %q, want 0", got)
		}
		if cur, _ := b.attr(`header nav a[href="/admin"]`, "aria-current"); cur != "page" {
			t.Fatalf("admin nav link aria-current = %q, want page", cur)
		}

		b.do("click the Desk link", chromedp.Click(chromedp.CSS(`header nav a[href="/desk"]`)))
		b.waitPath("/desk")
		if got := b.text("main h1"); got != "Desk" {
			t.Fatalf("desk heading = %q", got)
		}
		if cur, _ := b.attr(`header nav a[href="/desk"]`, "aria-current"); cur != "page" {
			t.Fatalf("desk nav link aria-current = %q, want page", cur)
		}

		if got := b.text("form.signout button"); got != "Sign out" {
			t.Fatalf("sign-out button text = %q", got)
		}
		b.do("click Sign out", chromedp.Click(chromedp.CSS("form.signout button")))
		b.waitPath("/login")
		if got := b.text("#flash [role=status]"); got != "You are signed out." {
			t.Fatalf("flash after sign-out = %q", got)
		}
		// Signed out for real: the desk sends us back to sign in.
		b.open("/desk")
		b.waitPath("/login?next=%2Fdesk")
	})
}

// TestE2ELoginWrongPasswordSwapsForm: a wrong password re-renders only the form, in place,
// with an announced error and the e-mail kept and marked invalid.
func TestE2ELoginWrongPasswordSwapsForm(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	s.staff(models.RoleAdmin, "ada@example.com")
	b := newBrowser(t, s.url)

	b.open("/login")
	if _, invalid := b.attr("#login-email", "aria-invalid"); invalid {
		t.Fatal("e-mail field is aria-invalid before any submission")
	}
	eval[chromedp.Void](b, "window.__marker = 1")
	b.signIn("ada@example.com", "wrong password!")

	alert := b.text("#login-form [role=alert]")
	if alert != "That e-mail address and password do not match an active account." {
		t.Fatalf("error message = %q", alert)
	}
	if !eval[bool](b, "window.__marker === 1") {
		t.Fatal("the page was reloaded: the form should have been swapped in place by htmx")
	}
	// Keyboard users keep their place: focus stays in the swapped form (htmx restores it by id).
	if got := eval[string](b, "document.activeElement.closest('#login-form') ? document.activeElement.id : document.activeElement.tagName"); got != "login-password" {
		t.Fatalf("focus after the swap is on %q, want login-password", got)
	}
	if posts := b.requestsTo("POST", "/login"); len(posts) != 1 || !posts[0].htmx {
		t.Fatalf("want one htmx POST /login, got %+v", posts)
	}
	if n := eval[int](b, "document.querySelectorAll('#login-form').length"); n != 1 {
		t.Fatalf("%d login forms after the swap, want 1", n)
	}
	if got := run(b, "read e-mail", chromedp.Value(chromedp.ID("login-email"))); got != "ada@example.com" {
		t.Fatalf("e-mail field = %q after the error, want it kept", got)
	}
	if v, _ := b.attr("#login-email", "aria-invalid"); v != "true" {
		t.Fatalf("e-mail aria-invalid = %q, want true", v)
	}
	if v, _ := b.attr("#login-email", "aria-describedby"); v != "login-error" {
		t.Fatalf("e-mail aria-describedby = %q, want login-error", v)
	}
	if got := run(b, "read password", chromedp.Value(chromedp.ID("login-password"))); got != "" {
		t.Fatal("the wrong password was sent back into the form")
	}
	if loc := b.location(); loc != s.url+"/login" {
		t.Fatalf("location = %s, want /login", loc)
	}
}

// TestE2ESignInWithoutJavaScript: with JavaScript off, the same form signs in by a plain POST
// and the 303 redirect.
func TestE2ESignInWithoutJavaScript(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	first := newBrowser(t, s.url)
	b := first.newContext(t, "nojs")
	b.disableJavaScript()

	b.open("/login")
	b.signIn("ada@example.com", pw)
	b.waitPath("/admin")
	posts := b.requestsTo("POST", "/login")
	if len(posts) != 1 || posts[0].htmx {
		t.Fatalf("want one plain (non-htmx) POST /login, got %+v", posts)
	}
	if got := b.text("main h1"); got != "Administration" {
		t.Fatalf("dashboard heading = %q", got)
	}
	if got := b.text("#stat-tickets"); got != "0" {
		t.Fatalf("tickets stat = %q", got)
	}
}

// TestE2EAccessRules: an agent gets the 403 page on /admin; an anonymous visitor to /desk is
// sent to sign in and comes back to /desk afterwards.
func TestE2EAccessRules(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAgent, "bob@example.com")
	s.staff(models.RoleAdmin, "ada@example.com")
	first := newBrowser(t, s.url)

	t.Run("agent is denied the admin area", func(t *testing.T) {
		b := first.newContext(t, "agent")
		b.expect("status of 403") // Chromium logs the deliberate 403 as a failed resource
		b.open("/login")
		b.signIn("bob@example.com", pw)
		b.waitPath("/desk")
		if status := b.open("/admin"); status != http.StatusForbidden {
			t.Fatalf("GET /admin as agent: status %d, want 403", status)
		}
		if got := b.text("main h1"); got != "Access denied" {
			t.Fatalf("403 heading = %q", got)
		}
		if n := eval[int](b, "document.querySelectorAll('#stat-tickets').length"); n != 0 {
			t.Fatal("the 403 page shows admin data")
		}
		if n := eval[int](b, `document.querySelectorAll('header nav a[href="/admin"]').length`); n != 0 {
			t.Fatal("an agent's navigation links to /admin")
		}
	})

	t.Run("anonymous visitor returns to the page asked for", func(t *testing.T) {
		b := first.newContext(t, "anonymous")
		b.open("/desk")
		b.waitPath("/login?next=%2Fdesk")
		if v, _ := b.attr(`#login-form input[name="next"]`, "value"); v != "/desk" {
			t.Fatalf("next field = %q, want /desk", v)
		}
		// An admin would land on /admin by default, so arriving on /desk proves next worked.
		b.signIn("ada@example.com", pw)
		b.waitPath("/desk")
		if got := b.text("main h1"); got != "Desk" {
			t.Fatalf("heading after sign-in = %q", got)
		}
	})
}

// TestE2ESkipLink: the first Tab on a page reaches the skip link, which is then visible, and
// following it moves focus to the main content.
func TestE2ESkipLink(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	b := newBrowser(t, s.url)

	b.open("/login")
	b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, "document.activeElement.className"); got != "skip-link" {
		t.Fatalf("first Tab focused %q, want the skip link", got)
	}
	if got := eval[string](b, "document.activeElement.textContent.trim()"); got != "Skip to content" {
		t.Fatalf("skip link text = %q", got)
	}
	if !eval[bool](b, `(() => { const r = document.activeElement.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth; })()`) {
		t.Fatal("the focused skip link is not visible on screen")
	}
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	if got := eval[string](b, "document.activeElement.id"); got != "main" {
		t.Fatalf("after the skip link focus is on %q, want main", got)
	}
	if got := eval[string](b, "document.activeElement.tagName"); got != "MAIN" {
		t.Fatalf("focused element is %s, want MAIN", got)
	}
	// The next Tab continues inside main: the e-mail field is the first control there.
	b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, "document.activeElement.id"); got != "login-email" {
		t.Fatalf("Tab after the skip link focused %q, want login-email", got)
	}
}

// TestE2EScreenshots saves pictures of the sign-in page and the dashboard for people to look
// at (PORTICO_SCREENSHOT_DIR keeps them).
func TestE2EScreenshots(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	b := newBrowser(t, s.url)
	pngMagic := []byte("\x89PNG\r\n\x1a\n")

	b.open("/login")
	b.text("#login-form")
	path, png := b.screenshot("login")
	if len(png) < 1000 || !bytes.HasPrefix(png, pngMagic) {
		t.Fatalf("%s: not a PNG screenshot (%d bytes)", path, len(png))
	}
	t.Logf("screenshot: %s", path)

	b.signIn("ada@example.com", pw)
	b.waitPath("/admin")
	b.text("#stat-tickets")
	path2, png2 := b.screenshot("admin")
	if len(png2) < 1000 || !bytes.HasPrefix(png2, pngMagic) {
		t.Fatalf("%s: not a PNG screenshot (%d bytes)", path2, len(png2))
	}
	if bytes.Equal(png, png2) {
		t.Fatal("the two screenshots are identical: the page did not change")
	}
	t.Logf("screenshot: %s", path2)
}
