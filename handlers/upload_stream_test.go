package handlers

// FILE-01: uploads are streamed to disk, never buffered. These tests talk to a real server on
// a loopback port (app.Test would buffer the whole request itself), with bodies generated as
// they are sent, so that neither side holds a file in memory.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// uploadWorld is a ticket world served on a loopback port.
type uploadWorld struct {
	*ticketWorld
	url    string
	client *http.Client
}

func newUploadWorld(t *testing.T) *uploadWorld {
	t.Helper()
	w := newTicketWorld(t, dbtest.SQLite(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- w.s.fiber.Listener(ln) }()
	t.Cleanup(func() {
		w.s.fiber.ShutdownWithTimeout(5 * time.Second)
		<-served
	})
	u := &uploadWorld{ticketWorld: w, url: "http://" + ln.Addr().String(),
		client: &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	waitServing(t, u.url+"/healthz", served)
	return u
}

// patternReader yields n bytes of a fixed pseudo-random sequence (seeded), hashing them as
// they go: a large file that is never in memory.
type patternReader struct {
	left  int64
	state uint64
	sum   hash.Hash
}

func newPattern(n int64, seed uint64) *patternReader {
	return &patternReader{left: n, state: seed | 1, sum: sha256.New()}
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	for i := range b {
		p.state ^= p.state << 13
		p.state ^= p.state >> 7
		p.state ^= p.state << 17
		b[i] = byte(p.state)
	}
	p.left -= int64(len(b))
	p.sum.Write(b)
	return len(b), nil
}

func (p *patternReader) hex() string { return hex.EncodeToString(p.sum.Sum(nil)) }

// multipartStream is a multipart body: the fields, then one file of the given content, sent as
// it is read. Its length is known without reading the content.
func multipartStream(fields [][2]string, field, filename string, content io.Reader, size int64) (io.Reader, int64, string) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	mw.CreateFormFile(field, filename)
	prefix := append([]byte(nil), head.Bytes()...)
	head.Reset()
	mw.Close()
	suffix := head.Bytes()
	return io.MultiReader(bytes.NewReader(prefix), content, bytes.NewReader(suffix)),
		int64(len(prefix)) + size + int64(len(suffix)), mw.FormDataContentType()
}

// post sends body to path with the browser's cookies; size < 0 sends it chunked.
func (u *uploadWorld) post(t *testing.T, b *browser, path string, body io.Reader, size int64, ctype string, extra ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u.url+path, io.NopCloser(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Cookie", b.cookieHeader())
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := u.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(text)
}

// spools counts the uploads still in the spool folder: temporary files left behind.
func (u *uploadWorld) spools(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(u.s.app.Storage.(*app.DiskStorage).Dir(), "incoming"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(entries)
}

func (u *uploadWorld) attachments(t *testing.T) []models.Attachment {
	t.Helper()
	var out []models.Attachment
	if err := u.s.app.Stores.DB.Gorm.Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// storedSHA256 hashes the stored blob of a.
func (u *uploadWorld) storedSHA256(t *testing.T, a models.Attachment) string {
	t.Helper()
	f, err := u.s.app.Storage.Open(context.Background(), a.StorageKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

func TestUploadStreamLimits(t *testing.T) {
	u := newUploadWorld(t)
	tk := u.ticket(t, u.annC, "Large files")
	page := "/portal/tickets/" + tk.Ref()
	const limit = app.MaxAttachmentBytes

	t.Run("25 MB exactly is stored whole", func(t *testing.T) {
		content := newPattern(limit, 1)
		body, size, ctype := multipartStream([][2]string{{"_csrf", u.ann.csrf(page)}, {"body", "the full dump"}},
			"files", "dump.bin", content, limit)
		resp, text := u.post(t, u.ann, page+"/reply", body, size, ctype)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d:\n%.500s", resp.StatusCode, text)
		}
		atts := u.attachments(t)
		if len(atts) != 1 || atts[0].Size != limit || atts[0].SHA256 != content.hex() {
			t.Fatalf("attachments %+v, want one of %d bytes with SHA-256 %s", atts, limit, content.hex())
		}
		if got := u.storedSHA256(t, atts[0]); got != content.hex() {
			t.Fatalf("stored blob SHA-256 %s, sent %s", got, content.hex())
		}
		if n := u.spools(t); n != 0 {
			t.Errorf("%d temporary files left", n)
		}
	})

	t.Run("25 MB + 1 byte is refused with the form again", func(t *testing.T) {
		body, size, ctype := multipartStream([][2]string{{"_csrf", u.ann.csrf(page)}, {"body", "one byte too many"}},
			"files", "big.bin", newPattern(limit+1, 2), limit+1)
		resp, text := u.post(t, u.ann, page+"/reply", body, size, ctype)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
		if !strings.Contains(text, `id="reply-files-error"`) || !strings.Contains(text, "one byte too many") {
			t.Errorf("the form is not shown again with its message and text:\n%.2000s", text)
		}
		if n := len(u.attachments(t)); n != 1 {
			t.Errorf("%d attachments, want still 1", n)
		}
		if n := u.spools(t); n != 0 {
			t.Errorf("%d temporary files left", n)
		}
	})

	t.Run("chunked 30 MB without Content-Length is refused", func(t *testing.T) {
		body, _, ctype := multipartStream([][2]string{{"_csrf", u.ann.csrf(page)}, {"body", "no length"}},
			"files", "stream.bin", newPattern(30<<20, 3), 30<<20)
		resp, _ := u.post(t, u.ann, page+"/reply", body, -1, ctype)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
		if n := len(u.attachments(t)); n != 1 {
			t.Errorf("%d attachments, want still 1", n)
		}
		if n := u.spools(t); n != 0 {
			t.Errorf("%d temporary files left", n)
		}
	})

	t.Run("10,000 parts are refused quickly", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("_csrf", u.ann.csrf(page))
		for i := range 10000 {
			mw.WriteField("f"+strconv.Itoa(i), "x")
		}
		mw.Close()
		start := time.Now()
		resp, _ := u.post(t, u.ann, page+"/reply", bytes.NewReader(buf.Bytes()), int64(buf.Len()), mw.FormDataContentType())
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
		// And 10,000 small files: refused at the eleventh, as too many files for one reply.
		buf.Reset()
		mw = multipart.NewWriter(&buf)
		mw.WriteField("_csrf", u.ann.csrf(page))
		for i := range 10000 {
			fw, _ := mw.CreateFormFile("files", "f"+strconv.Itoa(i)+".txt")
			fw.Write([]byte("x"))
		}
		mw.Close()
		start = time.Now()
		resp, text := u.post(t, u.ann, page+"/reply", bytes.NewReader(buf.Bytes()), int64(buf.Len()), mw.FormDataContentType())
		if resp.StatusCode != http.StatusOK || !strings.Contains(text, `id="reply-files-error"`) {
			t.Fatalf("10,000 files: status %d:\n%.2000s", resp.StatusCode, text)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
		if n := len(u.attachments(t)); n != 1 {
			t.Errorf("%d attachments, want still 1", n)
		}
		if n := u.spools(t); n != 0 {
			t.Errorf("%d temporary files left", n)
		}
	})

	t.Run("a body over the route's ceiling is refused before it is read", func(t *testing.T) {
		// Written by hand on a connection: the headers declare more than the ceiling, and only
		// 64 KB of the body is ever sent. The answer comes all the same.
		ceiling := int64(app.MaxFilesPerMessage)*limit + uploadOverhead
		conn, err := net.Dial("tcp", strings.TrimPrefix(u.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST %s/reply HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n"+
			"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: %d\r\n\r\n",
			page, strings.TrimPrefix(u.url, "http://"), u.ann.cookieHeader(), ceiling+1)
		conn.Write(append([]byte("--xyz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n"),
			make([]byte, 64<<10)...))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!resp.Close {
			t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
		}
	})

	t.Run("an ordinary form is limited to 1 MB", func(t *testing.T) {
		form := url.Values{"_csrf": {u.ann.csrf(page)}, "lang": {strings.Repeat("a", 2<<20)}}
		enc := form.Encode()
		resp, _ := u.post(t, u.ann, "/portal/language", strings.NewReader(enc), int64(len(enc)), "application/x-www-form-urlencoded")
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
		resp, _ = u.post(t, u.ann, "/portal/language", strings.NewReader(enc), -1, "application/x-www-form-urlencoded")
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked: status %d, want 413", resp.StatusCode)
		}
	})

	t.Run("a token after the files is refused as forged, nothing kept", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("files", "early.txt")
		fw.Write([]byte("before the token"))
		mw.WriteField("_csrf", u.ann.csrf(page))
		mw.Close()
		resp, _ := u.post(t, u.ann, page+"/reply", bytes.NewReader(buf.Bytes()), int64(buf.Len()), mw.FormDataContentType())
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if n := len(u.attachments(t)); n != 1 {
			t.Errorf("%d attachments, want still 1", n)
		}
		if n := u.spools(t); n != 0 {
			t.Errorf("%d temporary files left", n)
		}
	})

	t.Run("a customer's slug path gets the upload rule", func(t *testing.T) {
		u.setPortal(t, func(p *models.PortalSettings) { p.Slug = "help" })
		defer u.setPortal(t, func(p *models.PortalSettings) { p.Slug = "portal" })
		slugPage := "/help/tickets/" + tk.Ref()
		content := newPattern(2<<20, 5)
		body, size, ctype := multipartStream([][2]string{{"_csrf", u.ann.csrf(slugPage)}, {"body", "via the slug"}},
			"files", "two.bin", content, 2<<20)
		resp, text := u.post(t, u.ann, slugPage+"/reply", body, size, ctype)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d:\n%.500s", resp.StatusCode, text)
		}
		if atts := u.attachments(t); atts[len(atts)-1].SHA256 != content.hex() {
			t.Errorf("stored %+v", atts[len(atts)-1])
		}
	})
}

func TestUploadStreamSupportForm(t *testing.T) {
	u := newUploadWorld(t)
	const limit = app.MaxTicketFileBytes
	// A file of exactly the limit makes a ticket; one byte more is refused with the form.
	content := newPattern(limit, 7)
	body, size, ctype := multipartStream([][2]string{{"_csrf", u.ann.csrf("/portal/new")}, {"subject", "A dump"},
		{"description", "Attached."}}, "attachments", "dump.bin", content, limit)
	resp, text := u.post(t, u.ann, "/portal/new", body, size, ctype)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d:\n%.500s", resp.StatusCode, text)
	}
	if atts := u.attachments(t); len(atts) != 1 || atts[0].SHA256 != content.hex() || u.storedSHA256(t, atts[0]) != content.hex() {
		t.Fatalf("attachments %+v", atts)
	}
	body, size, ctype = multipartStream([][2]string{{"_csrf", u.ann.csrf("/portal/new")}, {"subject", "Too big"},
		{"description", "Attached."}}, "attachments", "big.bin", newPattern(limit+1, 8), limit+1)
	resp, text = u.post(t, u.ann, "/portal/new", body, size, ctype)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(text, `id="new-ticket-attachments-error"`) ||
		!strings.Contains(text, `value="Too big"`) {
		t.Fatalf("status %d:\n%.3000s", resp.StatusCode, text)
	}
	// For htmx: a flash, and the form left as it is.
	body, size, ctype = multipartStream([][2]string{{"_csrf", u.ann.csrf("/portal/new")}, {"subject", "Too big"}},
		"attachments", "big.bin", newPattern(limit+1, 9), limit+1)
	resp, text = u.post(t, u.ann, "/portal/new", body, size, ctype, "HX-Request", "true")
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("HX-Retarget") != "#flash" ||
		!strings.Contains(text, "flash-error") || strings.Contains(text, "<form") {
		t.Fatalf("htmx: status %d, headers %v:\n%.2000s", resp.StatusCode, resp.Header, text)
	}
	if n, _ := u.s.app.Stores.Tickets.Count(context.Background()); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
	if n := u.spools(t); n != 0 {
		t.Errorf("%d temporary files left", n)
	}
}

// vmRSS reads the resident set size of this process, in bytes.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

func TestUploadStreamConcurrentMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("250 MB of uploads")
	}
	u := newUploadWorld(t)
	const n, limit = 10, app.MaxAttachmentBytes
	tickets := make([]models.Ticket, n)
	tokens := make([]string, n)
	for i := range n {
		tickets[i] = u.ticket(t, u.annC, fmt.Sprintf("Concurrent %d", i))
		tokens[i] = u.ann.csrf("/portal/tickets/" + tickets[i].Ref())
	}
	runtime.GC()
	debug.FreeOSMemory()
	before := vmRSS(t)
	peak := before
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				peak = max(peak, vmRSS(t))
			}
		}
	}()
	sums := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			content := newPattern(limit, uint64(100+i))
			page := "/portal/tickets/" + tickets[i].Ref()
			body, size, ctype := multipartStream([][2]string{{"_csrf", tokens[i]}, {"body", "concurrent"}},
				"files", fmt.Sprintf("c%d.bin", i), content, limit)
			req, _ := http.NewRequest("POST", u.url+page+"/reply", io.NopCloser(body))
			req.ContentLength = size
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Cookie", u.ann.cookieHeader())
			resp, err := u.client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				errs <- fmt.Errorf("upload %d: status %d", i, resp.StatusCode)
			}
			sums[i] = content.hex()
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	growth := peak - before
	t.Logf("FILE-01: 10 concurrent uploads of %d bytes: peak RSS growth %.1f MB (before %.1f MB, peak %.1f MB)",
		limit, float64(growth)/1e6, float64(before)/1e6, float64(peak)/1e6)
	if growth > 100<<20 {
		t.Errorf("RSS grew by %d bytes, want at most 100 MB", growth)
	}
	atts := u.attachments(t)
	if len(atts) != n {
		t.Fatalf("%d attachments, want %d", len(atts), n)
	}
	want := map[string]bool{}
	for _, s := range sums {
		want[s] = true
	}
	for _, a := range atts {
		if a.Size != limit || !want[a.SHA256] || u.storedSHA256(t, a) != a.SHA256 {
			t.Errorf("attachment %s: size %d, SHA-256 %s not among those sent", a.Filename, a.Size, a.SHA256)
		}
	}
	if n := u.spools(t); n != 0 {
		t.Errorf("%d temporary files left", n)
	}
}
