package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"portico/models"
)

// Email is one e-mail to send. Text is required; HTML is an optional alternative of it.
type Email struct {
	To      string // exactly one address: "ana@example.com" or "Ana <ana@example.com>"
	Subject string // one line
	Text    string // the plain-text body; admins read this one in the outbox
	HTML    string // optional HTML alternative
	Kind    string // what caused it, short: "verify", "reset", "invite", "agent_reply", …
}

// Limits of an e-mail, and of the mailer.
const (
	maxMailTo      = 320     // an address's maximum length (RFC 3696 errata), with room for a name
	maxMailSubject = 255     // characters
	maxMailText    = 1 << 20 // bytes
	maxMailHTML    = 2 << 20 // bytes
	maxMailKind    = 32      // bytes of [a-z0-9_-]
	maxMailError   = 300     // characters of last_error kept

	// mailPoll is how often the mailer looks for due e-mail when nobody wakes it (retries come
	// due, and other instances queue e-mail it is not woken for).
	mailPoll = 5 * time.Second
	// mailRecheck is how soon the mailer looks again after a wake: SendEmail runs inside the
	// caller's transaction, which may not have committed when the first look happens.
	mailRecheck = time.Second
	// mailLease is how long a claimed e-mail belongs to one mailer. It must outlast one send
	// (mailSendTimeout) so that a slow server never makes a second instance send it again; a
	// crashed instance's e-mails go out once it has run out.
	mailLease = 5 * time.Minute
	// smtpTimeout bounds each step of the SMTP conversation (dial, each command).
	smtpTimeout = 30 * time.Second
	// mailSendTimeout bounds one whole delivery.
	mailSendTimeout = 2 * time.Minute
)

// mailRetryDelays are the waits after the 1st, 2nd, … failed attempt; the attempt after the
// last of them is the final one (mailMaxAttempts).
var mailRetryDelays = [...]time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// mailMaxAttempts is how many attempts an e-mail gets before it is marked failed.
const mailMaxAttempts = len(mailRetryDelays) + 1

// SendEmail validates e and writes it to the outbox through st, which may be bound to the
// caller's transaction by Stores.InTx: the e-mail then commits or rolls back with the caller's
// work (REL-01). nil st means a.Stores. With SMTP configured the e-mail is 'pending' and the
// mailer is woken; without, it is kept as 'outbox' for admins to read. A To or Subject holding
// a line break is refused (header injection, INJ-02), as are oversized parts.
func (a *App) SendEmail(ctx context.Context, st *models.Stores, e Email) error {
	if st == nil {
		st = a.Stores
	}
	row, err := a.outboxRow(e)
	if err != nil {
		return err
	}
	if err := st.Outbox.Create(ctx, &row); err != nil {
		return err
	}
	a.Log.Info("e-mail queued", "outbox_id", row.ID, "kind", row.Kind, "to_domain", row.RecipientDomain(),
		"status", row.Status)
	if row.Status == models.OutboxPending {
		a.wakeMailer()
	}
	return nil
}

// outboxRow checks e and turns it into a new outbox row.
func (a *App) outboxRow(e Email) (models.OutboxEmail, error) {
	to := strings.TrimSpace(e.To)
	if to == "" || len(to) > maxMailTo || hasControl(to) {
		return models.OutboxEmail{}, models.Invalid("to", "mail.error.to")
	}
	if _, err := mail.ParseAddress(to); err != nil {
		return models.OutboxEmail{}, models.Invalid("to", "mail.error.to")
	}
	subject := strings.TrimSpace(e.Subject)
	if subject == "" || hasControl(subject) || !utf8.ValidString(subject) ||
		utf8.RuneCountInString(subject) > maxMailSubject {
		return models.OutboxEmail{}, models.Invalid("subject", "mail.error.subject")
	}
	if strings.TrimSpace(e.Text) == "" || len(e.Text) > maxMailText || len(e.HTML) > maxMailHTML ||
		!utf8.ValidString(e.Text) || !utf8.ValidString(e.HTML) {
		return models.OutboxEmail{}, models.Invalid("text", "mail.error.body")
	}
	if !validMailKind(e.Kind) {
		return models.OutboxEmail{}, models.Invalid("kind", "mail.error.kind")
	}
	now := a.Now()
	row := models.OutboxEmail{ToAddr: to, Subject: subject, TextBody: e.Text, HTMLBody: e.HTML, Kind: e.Kind,
		Status: models.OutboxHeld, CreatedAt: now}
	if a.Opts.SMTP.Host != "" {
		row.Status = models.OutboxPending
		row.NextAttemptAt = &now
	}
	return row, nil
}

// hasControl reports whether s holds a control character: CR and LF above all, which would end
// a header line and start another.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' })
}

func validMailKind(k string) bool {
	if k == "" || len(k) > maxMailKind {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// wakeMailer tells this instance's mailer that e-mail is waiting, without ever blocking.
func (a *App) wakeMailer() {
	select {
	case a.mailWake <- struct{}{}:
	default: // a wake is already pending
	}
}

// mailSender delivers one e-mail; the SMTP implementation is smtpSender, tests inject others.
type mailSender interface {
	Send(ctx context.Context, from string, e models.OutboxEmail) error
}

// RunMailer sends pending e-mail over SMTP until ctx is done: it claims due e-mails one at a
// time, sends each, and marks it sent or schedules a retry with backoff (mailRetryDelays),
// giving up after mailMaxAttempts. It wakes when SendEmail queues e-mail and every few seconds.
// On shutdown the e-mail in flight is finished first. Without an SMTP host it returns at once.
// Main runs it in a goroutine on every instance: leases keep instances from sending one e-mail
// twice.
func (a *App) RunMailer(ctx context.Context) {
	if a.Opts.SMTP.Host == "" {
		return
	}
	s, err := newSMTPSender(a.Opts.SMTP)
	if err != nil {
		a.Log.Error("mailer not started: the SMTP settings are unusable", "err", err)
		return
	}
	a.Log.Info("mailer started", "smtp_host", a.Opts.SMTP.Host, "smtp_port", a.Opts.SMTP.Port, "tls", a.Opts.SMTP.TLS)
	a.runMailer(ctx, s, mailPoll)
}

// runMailer is RunMailer's loop over any sender, polling every poll.
func (a *App) runMailer(ctx context.Context, s mailSender, poll time.Duration) {
	wake := a.mailWake
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			a.deliverDue(ctx, s)
			timer.Reset(mailRecheck)
		case <-timer.C:
			a.deliverDue(ctx, s)
			timer.Reset(poll)
		}
	}
}

// deliverDue sends due e-mails one at a time until none is due or ctx is done.
func (a *App) deliverDue(ctx context.Context, s mailSender) {
	for ctx.Err() == nil {
		// A claim that succeeds must be followed through even if shutdown starts meanwhile:
		// the claim, the send and the marking run on a context that is not cancelled.
		work := context.WithoutCancel(ctx)
		claimCtx, cancel := context.WithTimeout(work, 10*time.Second)
		e, err := a.Stores.Outbox.Claim(claimCtx, a.Now(), mailLease)
		cancel()
		if errors.Is(err, models.ErrNotFound) {
			return
		}
		if err != nil {
			a.Log.Warn("mailer: cannot claim e-mail", "err", err)
			return
		}
		a.deliver(work, s, e)
	}
}

// errInvalidStored marks an e-mail that cannot be sent as stored (written by older code or by
// hand): retrying cannot help.
var errInvalidStored = errors.New("the stored e-mail is not valid")

// deliver sends one claimed e-mail and records the outcome.
func (a *App) deliver(ctx context.Context, s mailSender, e models.OutboxEmail) {
	log := a.Log.With("outbox_id", e.ID, "kind", e.Kind, "to_domain", e.RecipientDomain(), "attempt", e.Attempts)
	sendCtx, cancel := context.WithTimeout(ctx, mailSendTimeout)
	err := s.Send(sendCtx, a.Opts.SMTP.From, e)
	cancel()
	st := a.Stores.Outbox
	if err == nil {
		if err := st.MarkSent(ctx, e.ID, a.Now()); err != nil {
			log.Error("e-mail sent but not marked sent", "err", err)
			return
		}
		log.Info("e-mail sent")
		return
	}
	reason := a.redactMailError(err, e)
	if e.Attempts >= mailMaxAttempts || errors.Is(err, errInvalidStored) {
		if err := st.MarkFailed(ctx, e.ID, reason); err != nil {
			log.Error("e-mail failed and not marked failed", "err", err)
		}
		log.Error("e-mail not delivered: giving up", "err", reason)
		return
	}
	delay := retryDelay(e.Attempts)
	if err := st.MarkRetry(ctx, e.ID, a.Now().Add(delay), reason); err != nil {
		log.Error("e-mail failed and no retry scheduled", "err", err)
		return
	}
	log.Warn("e-mail not delivered: will retry", "err", reason, "retry_in", delay.Round(time.Second).String())
}

// retryDelay is the wait after the attempt-th failed attempt, with ±20 % jitter so that many
// e-mails failing together do not all retry in the same second.
func retryDelay(attempt int) time.Duration {
	d := mailRetryDelays[min(max(attempt, 1), len(mailRetryDelays))-1]
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// redactMailError turns a delivery error into text safe for logs and for last_error: the SMTP
// password (and the AUTH PLAIN and LOGIN encodings of it) and the recipient's address are
// removed, line breaks flattened and the length bounded (LOG-01).
func (a *App) redactMailError(err error, e models.OutboxEmail) string {
	msg := err.Error()
	if p := a.Opts.SMTP.Password; p != "" {
		u := a.Opts.SMTP.Username
		for _, secret := range []string{
			base64.StdEncoding.EncodeToString([]byte("\x00" + u + "\x00" + p)),
			base64.StdEncoding.EncodeToString([]byte(u + "\x00" + u + "\x00" + p)),
			base64.StdEncoding.EncodeToString([]byte(p)),
			p,
		} {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	if addr, perr := mail.ParseAddress(e.ToAddr); perr == nil && addr.Address != "" {
		msg = strings.ReplaceAll(msg, addr.Address, "[recipient]")
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if utf8.RuneCountInString(msg) > maxMailError {
		msg = string([]rune(msg)[:maxMailError]) + "…"
	}
	return msg
}

// smtpPlan is how the SMTP client connects, derived from SMTPOptions alone.
type smtpPlan struct {
	implicitTLS bool                // TLS from the first byte (PORTICO_SMTP_TLS=tls, port 465)
	policy      gomail.TLSPolicy    // STARTTLS: mandatory, or none at all
	auth        gomail.SMTPAuthType // SMTPAuthNoAuth without a user name
}

// planSMTP maps the configured TLS mode and credentials onto client settings. "starttls"
// requires STARTTLS (a server without it, or a downgrade attack stripping it, fails the
// delivery); "tls" is implicit TLS; "none" is for local relays. Authentication happens only
// with a user name: over TLS the strongest mechanism the server offers is used; without TLS only
// PLAIN, which the client refuses to send anywhere but to localhost.
func planSMTP(o SMTPOptions) (smtpPlan, error) {
	var p smtpPlan
	switch o.TLS {
	case "starttls", "":
		p.policy = gomail.TLSMandatory
	case "tls":
		p.implicitTLS, p.policy = true, gomail.NoTLS
	case "none":
		p.policy = gomail.NoTLS
	default:
		return p, fmt.Errorf("unknown TLS mode %q (want starttls, tls or none)", o.TLS)
	}
	switch {
	case o.Username == "":
		p.auth = gomail.SMTPAuthNoAuth
	case o.TLS == "none":
		p.auth = gomail.SMTPAuthPlain
	default:
		p.auth = gomail.SMTPAuthAutoDiscover
	}
	return p, nil
}

// smtpSender sends e-mail with wneessen/go-mail, one connection per e-mail.
type smtpSender struct {
	opts SMTPOptions
	plan smtpPlan
}

// newSMTPSender checks the settings once, at start, rather than at every delivery.
func newSMTPSender(o SMTPOptions) (*smtpSender, error) {
	p, err := planSMTP(o)
	if err != nil {
		return nil, err
	}
	if _, err := mail.ParseAddress(o.From); err != nil {
		return nil, errors.New("the From address (PORTICO_SMTP_FROM) is not an e-mail address")
	}
	return &smtpSender{opts: o, plan: p}, nil
}

// clientOptions are the go-mail client options of the plan.
func (s *smtpSender) clientOptions() []gomail.Option {
	port := s.opts.Port
	if port == 0 {
		port = map[bool]int{true: 465, false: 587}[s.plan.implicitTLS]
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(smtpTimeout), gomail.WithTLSPolicy(s.plan.policy)}
	if s.plan.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if s.plan.auth != gomail.SMTPAuthNoAuth {
		opts = append(opts, gomail.WithSMTPAuth(s.plan.auth), gomail.WithUsername(s.opts.Username),
			gomail.WithPassword(s.opts.Password))
	}
	return opts
}

// Send delivers e from the configured From address.
func (s *smtpSender) Send(ctx context.Context, from string, e models.OutboxEmail) error {
	m, err := buildMessage(from, e, time.Now())
	if err != nil {
		return err
	}
	c, err := gomail.NewClient(s.opts.Host, s.clientOptions()...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, m)
}

// buildMessage writes e as a MIME message: text/plain alone, or multipart/alternative with
// the HTML version; a Message-ID that stays the same across retries (so receivers can drop a
// duplicate), a Date, and Auto-Submitted so that auto-responders stay quiet (RFC 3834).
func buildMessage(from string, e models.OutboxEmail, now time.Time) (*gomail.Msg, error) {
	// Checked again at send time: a row written by hand or by older code must not inject
	// headers either.
	if hasControl(e.ToAddr) || hasControl(e.Subject) {
		return nil, fmt.Errorf("%w: line break in a header", errInvalidStored)
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: From is not an address", errInvalidStored)
	}
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(fromAddr)
	if err := m.To(e.ToAddr); err != nil {
		return nil, fmt.Errorf("%w: the recipient is not an address", errInvalidStored)
	}
	m.Subject(e.Subject)
	domain := fromAddr.Address[strings.LastIndexByte(fromAddr.Address, '@')+1:]
	m.SetMessageIDWithValue(fmt.Sprintf("portico.%d.%d@%s", e.ID, e.CreatedAt.UnixNano(), domain))
	m.SetDateWithValue(now)
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, e.TextBody)
	if e.HTMLBody != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, e.HTMLBody)
	}
	return m, nil
}
