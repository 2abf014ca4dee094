package handlers

// The browser harness for the end-to-end tests in e2e_test.go: a real Portico server on a TCP
// port and a headless Chromium driven through chromedp. Every tab of a browser reports its
// console messages, uncaught exceptions and browser-log entries here; the test fails on any
// JavaScript error or Content-Security-Policy violation, unless the test said it expects that
// exact message (a deliberate 403, say).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"portico/models"
	"portico/models/dbtest"
)

// browserTestTimeout bounds everything one browser test does, from starting Chromium on.
const browserTestTimeout = 60 * time.Second

// waitTimeout bounds one wait for a page state (a navigation, an htmx swap).
const waitTimeout = 10 * time.Second

// liveServer is a Portico instance listening on a real TCP port of 127.0.0.1.
type liveServer struct {
	*testServer
	url string // http://127.0.0.1:<port>, also the configured base URL
}

// newLiveServer serves Portico over db on 127.0.0.1 with a random port until the test ends.
func newLiveServer(t *testing.T, db *models.DB) *liveServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // in case the server never took it over
	cfg := testConfig(t)
	cfg.BaseURL = "http://" + ln.Addr().String()
	done := make(chan struct{}) // open while serving, as in main: live-update streams stay up
	s := newTestServerDone(t, db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), done)
	served := make(chan error, 1)
	go func() { served <- s.fiber.Listener(ln) }()
	t.Cleanup(func() {
		close(done)
		if err := s.fiber.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("shut down the live server: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("live server: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("live server still serving 10s after shutdown")
		}
	})
	// fasthttp's Shutdown does nothing before Serve has registered the listener, and Serve
	// would then run for ever: wait until the server answers before anything can end the test.
	waitServing(t, cfg.BaseURL+"/healthz", served)
	return &liveServer{testServer: s, url: cfg.BaseURL}
}

// waitServing polls url until the server answers 200.
func waitServing(t *testing.T, url string, served <-chan error) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(waitTimeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case serr := <-served:
			t.Fatalf("live server stopped before serving: %v", serr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("live server not answering %s: %v", url, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// chromiumPath finds Debian's Chromium, or returns "".
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// consoleEntry is one thing a page reported: a console call, an exception or a log entry.
type consoleEntry struct {
	kind  string // "console.error", "exception", "log.error", …
	text  string
	url   string
	tab   string
	fatal bool // an error, an exception or a CSP violation
}

func (e consoleEntry) String() string {
	s := fmt.Sprintf("[%s] %s: %s", e.tab, e.kind, e.text)
	if e.url != "" {
		s += " (" + e.url + ")"
	}
	return s
}

// sentRequest is one request a page sent, as the browser's network domain saw it.
type sentRequest struct {
	tab, method, url string
	htmx             bool // carried HX-Request: true
}

// pageLog collects what every tab of one browser reported.
type pageLog struct {
	mu       sync.Mutex
	entries  []consoleEntry
	requests []sentRequest
	expected []string // substrings of fatal entries the test expects
}

// record runs inside chromedp's event loop: it must be quick and never call the browser.
func (l *pageLog) record(tab string, ev any) {
	var e consoleEntry
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		e = consoleEntry{kind: "console." + string(ev.Type), text: argsText(ev.Args)}
		if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
			e.url = st.CallFrames[0].URL
		}
		e.fatal = ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		e = consoleEntry{kind: "exception", text: d.Text, url: d.URL, fatal: true}
		if d.Exception != nil && d.Exception.Description != "" {
			e.text += " " + d.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		en := ev.Entry
		e = consoleEntry{kind: "log." + string(en.Level) + "/" + string(en.Source), text: en.Text, url: en.URL,
			fatal: en.Level == cdplog.EntryLevelError}
	case *network.EventRequestWillBeSent:
		r := sentRequest{tab: tab, method: ev.Request.Method, url: ev.Request.URL}
		for k, v := range ev.Request.Headers {
			if strings.EqualFold(k, "HX-Request") && fmt.Sprint(v) == "true" {
				r.htmx = true
			}
		}
		l.mu.Lock()
		l.requests = append(l.requests, r)
		l.mu.Unlock()
		return
	default:
		return
	}
	e.tab = tab
	if strings.Contains(e.text, "Content Security Policy") {
		e.fatal = true
	}
	l.mu.Lock()
	l.entries = append(l.entries, e)
	l.mu.Unlock()
}

// argsText renders console arguments roughly as DevTools shows them.
func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// problems returns the fatal entries the test did not declare as expected.
func (l *pageLog) problems() []consoleEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []consoleEntry
	for _, e := range l.entries {
		if !e.fatal {
			continue
		}
		expected := false
		for _, x := range l.expected {
			if strings.Contains(e.text, x) {
				expected = true
				break
			}
		}
		if !expected {
			out = append(out, e)
		}
	}
	return out
}

func (l *pageLog) all() []consoleEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]consoleEntry(nil), l.entries...)
}

// tab is one browser tab of a test. Tabs made with newContext have their own cookies.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
	log  *pageLog
}

// syncBuffer is Chromium's output, written by chromedp's goroutine and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newBrowser starts a headless Chromium for this test and returns its first tab, pointed at
// base (not navigated yet). Without Chromium the test is skipped, or fails under
// PORTICO_TEST_REQUIRE=1. When the test ends the browser is closed and every tab's console is
// checked: any JavaScript error or CSP violation not declared with expect fails the test. extra
// allocator options (Chromium flags) come after the harness's own.
func newBrowser(t *testing.T, base string, extra ...chromedp.ExecAllocatorOption) *tab {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		dbtest.Unavailable(t, "Chromium (apt-get install chromium) for browser tests")
	}
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in first-out)
	timeout, cancelTimeout := context.WithTimeout(context.Background(), browserTestTimeout)
	output := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The build machines have no network: without these Chromium keeps dialling Google's
		// services, and each refused connection costs time and log noise.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(output),
	)
	opts = append(opts, extra...) // a test's own flags, such as host-resolver rules
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	log := &pageLog{}
	b := &tab{t: t, name: "tab1", ctx: ctx, base: base, log: log}
	t.Cleanup(func() {
		closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing Chromium: %v", err)
		}
		cancel()
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
		for _, e := range log.problems() {
			t.Errorf("browser reported a problem: %s", e)
		}
		if t.Failed() {
			for _, e := range log.all() {
				t.Logf("console: %s", e)
			}
		}
	})
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v\n%s", exe, err, output.String())
	}
	t.Logf("Chromium started in %s", time.Since(start).Round(time.Millisecond))
	b.listen()
	return b
}

// listen sends this tab's console and network events to the browser's log.
func (b *tab) listen() {
	b.t.Helper()
	name := b.name
	if err := chromedp.Listen(b.ctx, func(ev any) { b.log.record(name, ev) }); err != nil {
		b.t.Fatalf("listen to %s: %v", name, err)
	}
}

// newContext opens a tab in a fresh browser context: no cookies or storage shared with the
// other tabs, like a separate browser profile. The tab belongs to t (the test or a subtest of
// the browser's test) and closes when t ends.
func (b *tab) newContext(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	nb := &tab{t: t, name: name, ctx: ctx, base: b.base, log: b.log}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	nb.listen()
	return nb
}

// disableJavaScript turns script execution off in this tab, as a browser with JavaScript
// disabled would be.
func (b *tab) disableJavaScript() {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		b.t.Fatalf("disable JavaScript: %v", err)
	}
}

// expect declares a browser-reported error that this test causes on purpose (matched as a
// substring), so that it does not fail the test.
func (b *tab) expect(text string) {
	b.log.mu.Lock()
	b.log.expected = append(b.log.expected, text)
	b.log.mu.Unlock()
}

// do runs actions in this tab, failing the test with what on error.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v (at %s)", b.name, what, err, b.location())
	}
}

// run runs one action with a result in tab b, failing the test with what on error.
func run[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %s: %v (at %s)", b.name, what, err, b.location())
	}
	return v
}

// open navigates to a path of the server and returns the main document's status code.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	resp := run(b, "open "+path, chromedp.NavigateResponse(b.base+path))
	return resp.Status
}

// location is the URL of the current history entry. It reads the page domain, not the DOM, so
// it works with JavaScript disabled and during navigations.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	h, err := chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil || h.CurrentIndex < 0 || int(h.CurrentIndex) >= len(h.Entries) {
		return "(unknown)"
	}
	return h.Entries[h.CurrentIndex].URL
}

// waitPath waits until the tab shows the server's path (and query, when want has one) and the
// document has finished loading.
func (b *tab) waitPath(want string) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if u, err := url.Parse(b.location()); err == nil && strings.HasPrefix(u.String(), b.base) {
			got := u.Path
			if strings.Contains(want, "?") {
				got = u.RequestURI()
			}
			if got == want {
				break
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: waited %s for %s, still at %s", b.name, waitTimeout, want, b.location())
		}
		time.Sleep(25 * time.Millisecond)
	}
	b.do("wait for "+want+" to load", chromedp.WaitReady(chromedp.CSS("body > footer")))
}

// text is the visible text of the first element matching a CSS selector, once it is visible.
func (b *tab) text(sel string) string {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	return strings.TrimSpace(run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// attr reads an attribute of the first element matching a CSS selector.
func (b *tab) attr(sel, name string) (string, bool) {
	b.t.Helper()
	r := run(b, "read "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	return r.Value, r.Exists
}

// eval evaluates JavaScript in the page.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	return run(b, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// requestsTo lists the requests this tab sent with method to path.
func (b *tab) requestsTo(method, path string) []sentRequest {
	b.log.mu.Lock()
	defer b.log.mu.Unlock()
	var out []sentRequest
	for _, r := range b.log.requests {
		if r.tab == b.name && r.method == method && r.url == b.base+path {
			out = append(out, r)
		}
	}
	return out
}

// screenshot captures the viewport as PNG into PORTICO_SCREENSHOT_DIR (or a temporary
// folder) and returns the file's path and contents.
func (b *tab) screenshot(name string) (string, []byte) {
	b.t.Helper()
	png := run(b, "screenshot "+name, chromedp.CaptureScreenshot())
	dir := os.Getenv("PORTICO_SCREENSHOT_DIR")
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path, png
}

// TestE2EHarnessCatchesCSPViolations checks the harness itself: a page whose inline script
// breaks its Content-Security-Policy must show up as a problem, or the journeys' "no CSP
// errors" would prove nothing.
func TestE2EHarnessCatchesCSPViolations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>csp</title><p id="p">page</p><script>document.title = "ran"</script>`)
	}))
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL)
	b.open("/")
	b.text("#p")
	if got := eval[string](b, "document.title"); got != "csp" {
		t.Fatalf("the inline script ran despite the CSP (title %q)", got)
	}
	deadline := time.Now().Add(waitTimeout)
	for len(b.log.problems()) == 0 && time.Now().Before(deadline) {
		time.Sleep(25 * time.Millisecond)
	}
	found := false
	for _, e := range b.log.problems() {
		if strings.Contains(e.text, "Content Security Policy") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no CSP violation recorded; console: %v", b.log.all())
	}
	b.expect("Content Security Policy") // seen as intended; do not fail this test for it
}
