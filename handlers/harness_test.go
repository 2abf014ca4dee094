package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/app/i18n"
	"portico/config"
	"portico/models"
	"portico/models/dbtest"
)

// testServer is one Portico instance over a test database, driven through fiber's app.Test.
type testServer struct {
	t     testing.TB
	fiber *fiber.App
	h     *Handler
	app   *app.App
	cfg   config.Config
	clock *fakeClock
}

// fakeClock is a settable clock shared by the app (sessions, throttling).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set puts the clock on t.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testConfig is a valid configuration for tests; mutate fields before newTestServer.
func testConfig(t testing.TB) config.Config {
	cfg, err := config.LoadFrom(map[string]string{
		"PORTICO_DATA_DIR":   t.TempDir(),
		"PORTICO_SECRET_KEY": strings.Repeat("ab", 32),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newTestServer(t testing.TB, db *models.DB, cfg config.Config) *testServer {
	t.Helper()
	return newTestServerWithLog(t, db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newTestServerWithLog is newTestServer with a logger of the test's choosing.
func newTestServerWithLog(t testing.TB, db *models.DB, cfg config.Config, log *slog.Logger) *testServer {
	t.Helper()
	// A closed Done: any live-update stream ends at once, so app.Test never hangs on one.
	done := make(chan struct{})
	close(done)
	return newTestServerDone(t, db, cfg, log, done)
}

// newTestServerDone is the full constructor: done ends live-update streams (a live server
// keeps it open until shutdown, like main does).
func newTestServerDone(t testing.TB, db *models.DB, cfg config.Config, log *slog.Logger, done <-chan struct{}) *testServer {
	t.Helper()
	storage, err := app.NewDiskStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(models.NewStores(db), storage, log, app.Options{
		BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdle, SessionLifetime: cfg.SessionLifetime,
		LoginMaxFailures: cfg.LoginMaxFailures, LoginWindow: cfg.LoginWindow,
	})
	clock := &fakeClock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	a.Now = clock.Now
	tr, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	f, h, err := New(Deps{App: a, Config: cfg, Translator: tr, Log: log, Done: done})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, fiber: f, h: h, app: a, cfg: cfg, clock: clock}
}

// newSQLiteServer is the common case: default config on a fresh SQLite database.
func newSQLiteServer(t testing.TB) *testServer {
	t.Helper()
	return newTestServer(t, dbtest.SQLite(t), testConfig(t))
}

// staff creates a staff account and returns it with its password.
func (s *testServer) staff(role models.Role, email string) (models.StaffUser, string) {
	s.t.Helper()
	const pw = "correct horse battery"
	u, err := s.app.CreateStaff(context.Background(), app.NewStaff{Email: email, Name: strings.Split(email, "@")[0], Password: pw, Role: role})
	if err != nil {
		s.t.Fatal(err)
	}
	return u, pw
}

// browser keeps cookies between requests like a browser would, against one test server.
type browser struct {
	s       *testServer
	cookies map[string]string
	headers map[string]string
}

func (s *testServer) browser() *browser {
	return &browser{s: s, cookies: map[string]string{}, headers: map[string]string{}}
}

// do sends a request and records Set-Cookie.
func (b *browser) do(method, target string, form url.Values, extra ...string) *http.Response {
	b.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i] == "Host" {
			req.Host = extra[i+1] // net/http takes Host from the request, not its header map
			continue
		}
		req.Header.Set(extra[i], extra[i+1])
	}
	return b.send(req)
}

// send runs a request with the browser's cookies and keeps the cookies the answer sets, as a
// browser would. Every request helper ends here.
func (b *browser) send(req *http.Request) *http.Response {
	b.s.t.Helper()
	if ck := b.cookieHeader(); ck != "" {
		req.Header.Set("Cookie", ck)
	}
	resp, err := b.s.fiber.Test(req, -1)
	if err != nil {
		b.s.t.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck.Value
		}
	}
	return resp
}

// cookieHeader is the Cookie header the browser would send.
func (b *browser) cookieHeader() string {
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "; ")
}

func (b *browser) get(target string, extra ...string) *http.Response {
	return b.do("GET", target, nil, extra...)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf loads page and returns the CSRF token in its first form.
func (b *browser) csrf(page string) string {
	b.s.t.Helper()
	resp := b.get(page)
	m := csrfRe.FindStringSubmatch(readBody(b.s.t, resp))
	if m == nil {
		b.s.t.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}

// login signs in through the form and returns the response to the POST.
func (b *browser) login(email, password string) *http.Response {
	b.s.t.Helper()
	token := b.csrf("/login")
	return b.do("POST", "/login", url.Values{"_csrf": {token}, "email": {email}, "password": {password}})
}

func (b *browser) sessionCookie() string { return b.cookies[b.s.h.cookieName] }

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantStatus(t testing.TB, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL, resp.StatusCode, want)
	}
}
