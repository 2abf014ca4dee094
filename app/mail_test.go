package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"

	"portico/models"
	"portico/models/dbtest"
)

// ---------------------------------------------------------------------------------------------
// Helpers: an App with a settable clock and a captured log, and an in-process SMTP server.

// mailClock is a settable clock for the mailer tests.
type mailClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mailClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *mailClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newMailApp builds an App over db with the given SMTP settings, a fake clock and a log
// captured at debug level.
func newMailApp(t *testing.T, db *models.DB, smtpOpts SMTPOptions) (*App, *mailClock, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	a := New(models.NewStores(db), nil, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Options{BaseURL: "http://localhost:8080", SMTP: smtpOpts})
	clock := &mailClock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	a.Now = clock.Now
	return a, clock, logs
}

// receivedMail is one message the test SMTP server accepted.
type receivedMail struct {
	from string
	to   []string
	data []byte
}

// smtpRecorder is an in-process SMTP server backend that records what it accepts. With user
// set it requires AUTH PLAIN with user and pass; with reject set it answers DATA with that code.
type smtpRecorder struct {
	user, pass string
	reject     atomic.Int32

	mu   sync.Mutex
	msgs []receivedMail
}

func (r *smtpRecorder) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{r: r}, nil }

func (r *smtpRecorder) received() []receivedMail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedMail(nil), r.msgs...)
}

type smtpSession struct {
	r      *smtpRecorder
	authed bool
	from   string
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.r.user == "" || user != s.r.user || pass != s.r.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if code := s.r.reject.Load(); code != 0 {
		return &smtp.SMTPError{Code: int(code), EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, receivedMail{from: s.from, to: s.to, data: b})
	s.r.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset() { s.from, s.to = "", nil }

func (s *smtpSession) Logout() error { return nil }

// startSMTP runs the recorder on 127.0.0.1 and returns SMTP settings that reach it without TLS.
func startSMTP(t *testing.T, rec *smtpRecorder, user, pass string) SMTPOptions {
	t.Helper()
	srv := smtp.NewServer(rec)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = stdlog.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return SMTPOptions{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: user, Password: pass,
		From: "Portico <portico@example.com>", TLS: "none"}
}

// startMailer runs RunMailer until the test ends (or stop is called) and returns stop, which
// waits for the loop to return.
func startMailer(t *testing.T, a *App) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.RunMailer(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("RunMailer did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outboxRows reads every outbox row, oldest first.
func outboxRows(t *testing.T, db *models.DB) []models.OutboxEmail {
	t.Helper()
	var rows []models.OutboxEmail
	if err := db.Gorm.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// parsedMail is a received message decoded: headers, and body text by media type.
type parsedMail struct {
	header  mail.Header
	subject string
	media   string // the top-level media type
	bodies  map[string]string
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("unparseable message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	media, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	p := parsedMail{header: m.Header, subject: subject, media: media, bodies: map[string]string{}}
	decode := func(cte string, r io.Reader) string {
		if strings.EqualFold(cte, "quoted-printable") {
			r = quotedprintable.NewReader(r)
		} else if strings.EqualFold(cte, "base64") {
			r = base64.NewDecoder(base64.StdEncoding, r)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(b), "\r\n", "\n") // SMTP carries CRLF line ends
	}
	if !strings.HasPrefix(media, "multipart/") {
		p.bodies[media] = decode(m.Header.Get("Content-Transfer-Encoding"), m.Body)
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pm, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.bodies[pm] = decode(part.Header.Get("Content-Transfer-Encoding"), part)
	}
	return p
}

// ---------------------------------------------------------------------------------------------
// SendEmail

func TestSendEmailStatusFollowsSMTPSetting(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		held, clock, _ := newMailApp(t, db, SMTPOptions{})
		if err := held.SendEmail(ctx, nil, Email{To: "ana@example.com", Subject: "Reset", Text: "link", Kind: "reset"}); err != nil {
			t.Fatal(err)
		}
		smtpApp, _, _ := newMailApp(t, db, SMTPOptions{Host: "mail.example.com", Port: 587, From: "p@example.com", TLS: "starttls"})
		smtpApp.Now = clock.Now
		if err := smtpApp.SendEmail(ctx, smtpApp.Stores, Email{To: "Bruno <bruno@example.com>", Subject: "Invite",
			Text: "text", HTML: "<p>html</p>", Kind: "invite"}); err != nil {
			t.Fatal(err)
		}
		rows := outboxRows(t, db)
		if len(rows) != 2 {
			t.Fatalf("%d rows, want 2", len(rows))
		}
		h, p := rows[0], rows[1]
		if h.Status != models.OutboxHeld || h.NextAttemptAt != nil || h.ToAddr != "ana@example.com" || h.Kind != "reset" ||
			h.TextBody != "link" || !h.CreatedAt.Equal(clock.Now()) {
			t.Errorf("without SMTP: %+v", h)
		}
		if p.Status != models.OutboxPending || p.NextAttemptAt == nil || !p.NextAttemptAt.Equal(clock.Now()) ||
			p.ToAddr != "Bruno <bruno@example.com>" || p.HTMLBody != "<p>html</p>" || p.Attempts != 0 {
			t.Errorf("with SMTP: %+v", p)
		}
	})
}

func TestSendEmailRefusesBadInput(t *testing.T) {
	t.Parallel()
	ok := Email{To: "ana@example.com", Subject: "Hello", Text: "body", Kind: "reset"}
	with := func(f func(*Email)) Email { e := ok; f(&e); return e }
	cases := []struct {
		name  string
		e     Email
		field string
	}{
		{"CRLF in To adds a Bcc", with(func(e *Email) { e.To = "ana@example.com\r\nBcc: all@example.com" }), "to"},
		{"LF in To", with(func(e *Email) { e.To = "ana@example.com\nX: y" }), "to"},
		{"two recipients", with(func(e *Email) { e.To = "ana@example.com, bob@example.com" }), "to"},
		{"not an address", with(func(e *Email) { e.To = "ana" }), "to"},
		{"empty To", with(func(e *Email) { e.To = "" }), "to"},
		{"CRLF in Subject adds a header", with(func(e *Email) { e.Subject = "Hi\r\nBcc: all@example.com" }), "subject"},
		{"bare CR in Subject", with(func(e *Email) { e.Subject = "Hi\rthere" }), "subject"},
		{"LF in a name-bearing Subject", with(func(e *Email) { e.Subject = "Ticket from Eve\nContent-Type: text/html" }), "subject"},
		{"NUL in Subject", with(func(e *Email) { e.Subject = "Hi\x00" }), "subject"},
		{"empty Subject", with(func(e *Email) { e.Subject = " " }), "subject"},
		{"long Subject", with(func(e *Email) { e.Subject = strings.Repeat("é", 256) }), "subject"},
		{"empty text", with(func(e *Email) { e.Text = "" }), "text"},
		{"huge text", with(func(e *Email) { e.Text = strings.Repeat("x", maxMailText+1) }), "text"},
		{"huge HTML", with(func(e *Email) { e.HTML = strings.Repeat("x", maxMailHTML+1) }), "text"},
		{"no kind", with(func(e *Email) { e.Kind = "" }), "kind"},
		{"kind with a line break", with(func(e *Email) { e.Kind = "reset\r\n" }), "kind"},
	}
	db := dbtest.SQLite(t)
	a, _, _ := newMailApp(t, db, SMTPOptions{Host: "mail.example.com", Port: 587, From: "p@example.com", TLS: "starttls"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := a.SendEmail(context.Background(), nil, tc.e)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("err = %v, want a validation error on %q", err, tc.field)
			}
		})
	}
	if rows := outboxRows(t, db); len(rows) != 0 {
		t.Fatalf("refused e-mails were written: %+v", rows)
	}
	if err := a.SendEmail(context.Background(), nil, ok); err != nil {
		t.Fatalf("the valid e-mail: %v", err)
	}
}

// TestSendEmailCommitsWithTheCallersWork: REL-01, an e-mail queued inside a transaction exists
// exactly when the transaction commits.
func TestSendEmailCommitsWithTheCallersWork(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a, _, _ := newMailApp(t, db, SMTPOptions{})
		boom := errors.New("the caller's work failed")
		err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
			if err := a.SendEmail(ctx, tx, Email{To: "ana@example.com", Subject: "Rolled back", Text: "t", Kind: "reset"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		if rows := outboxRows(t, db); len(rows) != 0 {
			t.Fatalf("a rolled-back e-mail is in the outbox: %+v", rows)
		}
		err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
			return a.SendEmail(ctx, tx, Email{To: "ana@example.com", Subject: "Committed", Text: "t", Kind: "reset"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows := outboxRows(t, db); len(rows) != 1 || rows[0].Subject != "Committed" {
			t.Fatalf("after commit: %+v", rows)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// The mailer against an in-process SMTP server

func TestMailerDeliversOverSMTP(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		rec := &smtpRecorder{user: "portico", pass: "smtp-secret-1"}
		a, _, logs := newMailApp(t, db, startSMTP(t, rec, "portico", "smtp-secret-1"))
		startMailer(t, a)

		emails := []Email{
			{To: "ana@example.com", Subject: "Reset your password", Text: "Follow http://localhost:8080/reset/TOKEN-A1", Kind: "reset"},
			{To: "Bruno Ferreira <bruno@example.org>", Subject: "Convite para o portal — olá", Text: "Olá Bruno,\nhttp://localhost:8080/invite/TOKEN-B2",
				HTML: `<p>Olá Bruno, <a href="http://localhost:8080/invite/TOKEN-B2">entrar</a></p>`, Kind: "invite"},
		}
		// One queued inside a committed transaction: woken before the commit, sent after it.
		err := a.Stores.InTx(ctx, func(tx *models.Stores) error { return a.SendEmail(ctx, tx, emails[0]) })
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SendEmail(ctx, nil, emails[1]); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "both e-mails marked sent", func() bool {
			rows := outboxRows(t, db)
			return len(rows) == 2 && rows[0].Status == models.OutboxSent && rows[1].Status == models.OutboxSent
		})
		// Wake the mailer again and give it time: nothing is sent twice.
		a.wakeMailer()
		time.Sleep(300 * time.Millisecond)
		got := rec.received()
		if len(got) != 2 {
			t.Fatalf("the server received %d messages, want 2", len(got))
		}
		byRcpt := map[string]receivedMail{}
		for _, m := range got {
			if len(m.to) != 1 {
				t.Fatalf("envelope recipients %v, want one", m.to)
			}
			byRcpt[m.to[0]] = m
		}

		text := byRcpt["ana@example.com"]
		if text.from != "portico@example.com" {
			t.Errorf("envelope from %q", text.from)
		}
		p := parseMail(t, text.data)
		if p.subject != emails[0].Subject || p.media != "text/plain" || strings.TrimSpace(p.bodies["text/plain"]) != emails[0].Text {
			t.Errorf("text e-mail: subject %q, media %q, bodies %q", p.subject, p.media, p.bodies)
		}
		from, err := mail.ParseAddress(p.header.Get("From"))
		if err != nil || from.Address != "portico@example.com" || from.Name != "Portico" {
			t.Errorf("From %q", p.header.Get("From"))
		}
		for _, h := range []string{"Message-Id", "Date"} {
			if p.header.Get(h) == "" {
				t.Errorf("no %s header", h)
			}
		}
		if _, err := p.header.Date(); err != nil {
			t.Errorf("Date header: %v", err)
		}
		if got := p.header.Get("Auto-Submitted"); got != "auto-generated" {
			t.Errorf("Auto-Submitted = %q", got)
		}
		if !strings.HasSuffix(p.header.Get("Message-Id"), "@example.com>") {
			t.Errorf("Message-ID %q is not in the From domain", p.header.Get("Message-Id"))
		}

		multi, ok := byRcpt["bruno@example.org"]
		if !ok {
			t.Fatalf("nothing delivered to bruno@example.org: %v", byRcpt)
		}
		p = parseMail(t, multi.data)
		to, err := mail.ParseAddress(p.header.Get("To"))
		if err != nil || to.Address != "bruno@example.org" || to.Name != "Bruno Ferreira" {
			t.Errorf("To %q", p.header.Get("To"))
		}
		if p.subject != emails[1].Subject || p.media != "multipart/alternative" {
			t.Errorf("HTML e-mail: subject %q, media %q", p.subject, p.media)
		}
		if strings.TrimSpace(p.bodies["text/plain"]) != emails[1].Text || strings.TrimSpace(p.bodies["text/html"]) != emails[1].HTML {
			t.Errorf("HTML e-mail parts: %q", p.bodies)
		}

		for _, r := range outboxRows(t, db) {
			if r.Attempts != 1 || r.SentAt == nil || r.ClaimedUntil != nil || r.LastError != "" {
				t.Errorf("sent row %+v", r)
			}
		}
		out := logs.String()
		for _, secret := range []string{"smtp-secret-1", "TOKEN-A1", "TOKEN-B2", "ana@example.com", "bruno@example.org"} {
			if strings.Contains(out, secret) {
				t.Errorf("the log shows %q:\n%s", secret, out)
			}
		}
		if !strings.Contains(out, "to_domain=example.org") {
			t.Errorf("the log does not name the recipient domain:\n%s", out)
		}
	})
}

func TestMailerRetriesAfterTemporaryRejection(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		rec := &smtpRecorder{}
		rec.reject.Store(451)
		a, clock, _ := newMailApp(t, db, startSMTP(t, rec, "", ""))
		startMailer(t, a)
		if err := a.SendEmail(ctx, nil, Email{To: "ana@example.com", Subject: "Hello", Text: "body", Kind: "verify"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the first attempt to fail", func() bool {
			rows := outboxRows(t, db)
			return len(rows) == 1 && rows[0].LastError != ""
		})
		r := outboxRows(t, db)[0]
		now := clock.Now()
		if r.Status != models.OutboxPending || r.Attempts != 1 || r.ClaimedUntil != nil || r.NextAttemptAt == nil ||
			!r.NextAttemptAt.After(now.Add(40*time.Second)) || r.NextAttemptAt.After(now.Add(80*time.Second)) {
			t.Fatalf("after a 451: %+v (now %v)", r, now)
		}
		if !strings.Contains(r.LastError, "451") || strings.Contains(r.LastError, "ana@example.com") {
			t.Errorf("last_error = %q", r.LastError)
		}
		if n := len(rec.received()); n != 0 {
			t.Fatalf("%d messages accepted while rejecting", n)
		}

		// Not due yet: a wake does not send it.
		rec.reject.Store(0)
		a.wakeMailer()
		time.Sleep(200 * time.Millisecond)
		if n := len(rec.received()); n != 0 {
			t.Fatalf("sent before its retry time: %d", n)
		}
		// Due: sent once.
		clock.Advance(2 * time.Minute)
		a.wakeMailer()
		waitFor(t, "the retry to succeed", func() bool { return outboxRows(t, db)[0].Status == models.OutboxSent })
		time.Sleep(200 * time.Millisecond)
		if n := len(rec.received()); n != 1 {
			t.Fatalf("the server received %d messages, want 1", n)
		}
		if r := outboxRows(t, db)[0]; r.Attempts != 2 || r.LastError != "" {
			t.Fatalf("after the retry: %+v", r)
		}
	})
}

// TestMailerLogsNoSecrets: LOG-01, a failing SMTP login leaves the password in no log line and
// not in the stored error; bodies (tokens) and full addresses stay out of the log too.
func TestMailerLogsNoSecrets(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		const canary = "Canary-Pa55word-7d1f"
		rec := &smtpRecorder{user: "portico", pass: "the-right-one"}
		opts := startSMTP(t, rec, "portico", canary)
		a, _, logs := newMailApp(t, db, opts)
		startMailer(t, a)
		if err := a.SendEmail(ctx, nil, Email{To: "ana@example.com", Subject: "Reset",
			Text: "http://localhost:8080/reset/RESET-TOKEN-CANARY", Kind: "reset"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the failed attempt", func() bool {
			rows := outboxRows(t, db)
			return len(rows) == 1 && rows[0].LastError != ""
		})
		waitFor(t, "the failure to be logged", func() bool { return strings.Contains(logs.String(), "will retry") })
		r := outboxRows(t, db)[0]
		if r.Attempts != 1 || r.Status != models.OutboxPending {
			t.Errorf("after the failed login: %+v", r)
		}
		out := logs.String()
		plain := base64.StdEncoding.EncodeToString([]byte("\x00portico\x00" + canary))
		for _, secret := range []string{canary, plain, base64.StdEncoding.EncodeToString([]byte(canary)), "RESET-TOKEN-CANARY", "ana@example.com"} {
			if strings.Contains(out, secret) {
				t.Errorf("the log shows %q:\n%s", secret, out)
			}
			if strings.Contains(r.LastError, secret) {
				t.Errorf("last_error shows %q: %s", secret, r.LastError)
			}
		}
		if !strings.Contains(strings.ToLower(r.LastError), "auth") {
			t.Errorf("last_error does not say what failed: %q", r.LastError)
		}
	})
}

func TestRedactMailError(t *testing.T) {
	t.Parallel()
	a := &App{Opts: Options{SMTP: SMTPOptions{Username: "u", Password: "hunter2"}}}
	e := models.OutboxEmail{ToAddr: "Ana <ana@example.com>"}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00u\x00hunter2"))
	got := a.redactMailError(fmt.Errorf("535 bad credentials hunter2 %s for ana@example.com\r\nInjected: x%s",
		plain, strings.Repeat("z", 500)), e)
	for _, bad := range []string{"hunter2", plain, "ana@example.com", "\r", "\n"} {
		if strings.Contains(got, bad) {
			t.Errorf("redacted error still has %q: %q", bad, got)
		}
	}
	if !strings.HasPrefix(got, "535 bad credentials [redacted] [redacted] for [recipient]") {
		t.Errorf("redacted = %q", got)
	}
	if n := len([]rune(got)); n > maxMailError+1 {
		t.Errorf("redacted error has %d characters", n)
	}
}

// ---------------------------------------------------------------------------------------------
// The mailer with an injected sender: giving up, shutdown

// funcSender is a mailSender made of a function.
type funcSender func(ctx context.Context, from string, e models.OutboxEmail) error

func (f funcSender) Send(ctx context.Context, from string, e models.OutboxEmail) error {
	return f(ctx, from, e)
}

func TestMailerGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a, clock, _ := newMailApp(t, db, SMTPOptions{Host: "mail.example.com", Port: 587, From: "p@example.com", TLS: "starttls"})
		var calls atomic.Int32
		fail := funcSender(func(context.Context, string, models.OutboxEmail) error {
			calls.Add(1)
			return errors.New("421 service not available")
		})
		if err := a.SendEmail(ctx, nil, Email{To: "ana@example.com", Subject: "Hello", Text: "body", Kind: "verify"}); err != nil {
			t.Fatal(err)
		}
		var waits []time.Duration
		for i := 1; i <= mailMaxAttempts; i++ {
			a.deliverDue(ctx, fail)
			r := outboxRows(t, db)[0]
			if r.Attempts != i {
				t.Fatalf("after attempt %d: attempts = %d", i, r.Attempts)
			}
			if i < mailMaxAttempts {
				if r.Status != models.OutboxPending || r.NextAttemptAt == nil {
					t.Fatalf("after attempt %d: %+v", i, r)
				}
				waits = append(waits, r.NextAttemptAt.Sub(clock.Now()))
				clock.Advance(7 * time.Hour)
			} else if r.Status != models.OutboxFailed || r.NextAttemptAt != nil || r.LastError == "" {
				t.Fatalf("after the last attempt: %+v", r)
			}
		}
		if int(calls.Load()) != mailMaxAttempts {
			t.Errorf("%d sends, want %d", calls.Load(), mailMaxAttempts)
		}
		for i, w := range waits {
			base := mailRetryDelays[i]
			if w < base*8/10 || w > base*12/10 {
				t.Errorf("wait after attempt %d = %v, want %v ± 20 %%", i+1, w, base)
			}
		}
		clock.Advance(24 * time.Hour)
		a.deliverDue(ctx, fail)
		if int(calls.Load()) != mailMaxAttempts {
			t.Error("a failed e-mail was tried again")
		}
	})
}

func TestMailerFinishesTheEmailInFlightOnShutdown(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	a, _, _ := newMailApp(t, db, SMTPOptions{Host: "mail.example.com", Port: 587, From: "p@example.com", TLS: "starttls"})
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	slow := funcSender(func(ctx context.Context, _ string, _ models.OutboxEmail) error {
		calls.Add(1)
		close(started)
		<-release
		return ctx.Err() // the send's context must not be cancelled by shutdown
	})
	for i := range 2 {
		if err := a.SendEmail(context.Background(), nil, Email{To: "ana@example.com", Subject: fmt.Sprint("m", i), Text: "b", Kind: "verify"}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { a.runMailer(ctx, slow, time.Hour); close(done) }()
	<-started
	cancel()
	select {
	case <-done:
		t.Fatal("the mailer returned with an e-mail in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the mailer did not stop after shutdown")
	}
	rows := outboxRows(t, db)
	if rows[0].Status != models.OutboxSent || rows[1].Status != models.OutboxPending || calls.Load() != 1 {
		t.Fatalf("after shutdown: %d sends, statuses %s/%s; want the one in flight sent and the next left pending",
			calls.Load(), rows[0].Status, rows[1].Status)
	}
}

func TestRunMailerWithoutSMTPReturnsAtOnce(t *testing.T) {
	t.Parallel()
	a, _, _ := newMailApp(t, dbtest.SQLite(t), SMTPOptions{})
	done := make(chan struct{})
	go func() { a.RunMailer(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunMailer without an SMTP host did not return")
	}
}

// ---------------------------------------------------------------------------------------------
// Pure pieces

func TestPlanSMTP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		o        SMTPOptions
		implicit bool
		policy   gomail.TLSPolicy
		auth     gomail.SMTPAuthType
		wantErr  bool
	}{
		{"starttls without login", SMTPOptions{TLS: "starttls"}, false, gomail.TLSMandatory, gomail.SMTPAuthNoAuth, false},
		{"starttls with login", SMTPOptions{TLS: "starttls", Username: "u", Password: "p"}, false, gomail.TLSMandatory, gomail.SMTPAuthAutoDiscover, false},
		{"implicit TLS with login", SMTPOptions{TLS: "tls", Username: "u", Password: "p"}, true, gomail.NoTLS, gomail.SMTPAuthAutoDiscover, false},
		{"no TLS, local relay", SMTPOptions{TLS: "none"}, false, gomail.NoTLS, gomail.SMTPAuthNoAuth, false},
		{"no TLS with login: PLAIN, localhost only", SMTPOptions{TLS: "none", Username: "u", Password: "p"}, false, gomail.NoTLS, gomail.SMTPAuthPlain, false},
		{"empty mode is starttls", SMTPOptions{}, false, gomail.TLSMandatory, gomail.SMTPAuthNoAuth, false},
		{"unknown mode", SMTPOptions{TLS: "opportunistic"}, false, 0, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planSMTP(tc.o)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil || p.implicitTLS != tc.implicit || p.policy != tc.policy || p.auth != tc.auth {
				t.Fatalf("plan = %+v, %v", p, err)
			}
		})
	}
	s, err := newSMTPSender(SMTPOptions{Host: "mail.example.com", Port: 2525, From: "p@example.com", TLS: "starttls"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := gomail.NewClient(s.opts.Host, s.clientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerAddr() != "mail.example.com:2525" || c.TLSPolicy() != "TLSMandatory" {
		t.Errorf("client: %s, %s", c.ServerAddr(), c.TLSPolicy())
	}
	if _, err := newSMTPSender(SMTPOptions{Host: "h", From: "not an address", TLS: "none"}); err == nil {
		t.Error("a bad From was accepted")
	}
}

func TestBuildMessageRefusesStoredHeaderInjection(t *testing.T) {
	t.Parallel()
	for _, e := range []models.OutboxEmail{
		{ToAddr: "ana@example.com", Subject: "Hi\r\nBcc: x@example.com", TextBody: "b"},
		{ToAddr: "ana@example.com\r\nBcc: x@example.com", Subject: "Hi", TextBody: "b"},
		{ToAddr: "ana", Subject: "Hi", TextBody: "b"},
	} {
		if _, err := buildMessage("p@example.com", e, time.Now()); !errors.Is(err, errInvalidStored) {
			t.Errorf("%q / %q: err = %v, want errInvalidStored", e.ToAddr, e.Subject, err)
		}
	}
}

// A reply on a ticket whose subject holds a line break or is very long still mails the
// customer: the subject is made one line and cut, never refused (a ticket from e-mail may
// carry any subject).
func TestTemplateMailSubjectFromUserData(t *testing.T) {
	for _, subject := range []string{"Broken\r\nBcc: all@example.com", strings.Repeat("long ", 100), "tab\there\x00nul"} {
		got := oneLine("New reply on T-1: "+subject, maxMailSubject)
		if strings.ContainsAny(got, "\r\n\t\x00") || utf8.RuneCountInString(got) > maxMailSubject || got == "" {
			t.Errorf("oneLine(%q) = %q", subject, got)
		}
	}
	if got := oneLine("a  \n b", 10); got != "a b" {
		t.Errorf("oneLine collapses spaces: %q", got)
	}
}
