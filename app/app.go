// Package app holds Portico's operations: the use cases that span aggregates or have side
// effects (signing in, sessions, seeding, later replies, mail and sync). Handlers call it; it
// calls the stores in models.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"portico/app/i18n"
	"portico/models"
)

// ErrForbidden means the viewer is known but may not do this.
var ErrForbidden = errors.New("forbidden")

// Options are the settings the operations need; main copies them from config.Config.
type Options struct {
	BaseURL          string
	SessionIdle      time.Duration
	SessionLifetime  time.Duration
	LoginMaxFailures int
	LoginWindow      time.Duration
	SMTP             SMTPOptions
}

// SMTPOptions configure outgoing e-mail; an empty Host keeps every e-mail in the outbox.
type SMTPOptions struct {
	Host, Username, Password, From, TLS string
	Port                                int
}

// App bundles the stores and services every operation uses. It holds no per-request state.
type App struct {
	Stores  *models.Stores
	Storage Storage
	Log     *slog.Logger
	Opts    Options
	// Broker carries live updates; operations Publish after their transaction commits.
	Broker *Broker
	// Tr translates e-mails and other texts the operations write.
	Tr *i18n.Translator
	// Now is the clock; tests replace it to move time.
	Now func() time.Time

	portal   portalCache
	lookups  lookupCache
	mailWake chan struct{} // SendEmail wakes the mailer through it
}

// New builds an App over the given stores.
func New(stores *models.Stores, storage Storage, log *slog.Logger, opts Options) *App {
	tr, err := i18n.New()
	if err != nil {
		panic(err) // the message files are embedded: a parse error is a build defect, caught by tests
	}
	return &App{Stores: stores, Storage: storage, Log: log, Opts: opts, Tr: tr, Broker: NewBroker(log),
		Now: func() time.Time { return time.Now().UTC() }, mailWake: make(chan struct{}, 1)}
}

// Healthy reports whether the database answers.
func (a *App) Healthy(ctx context.Context) error { return a.Stores.DB.Ping(ctx) }

// Cleanup removes expired sessions and rate-limit windows; main runs it periodically.
func (a *App) Cleanup(ctx context.Context) error {
	t := a.Now()
	// The longer of the two idle timeouts: each session's own is enforced when it is used.
	idle := max(a.Opts.SessionIdle, a.idleFor(ctx, models.KindContact))
	if _, err := a.Stores.Sessions.DeleteExpired(ctx, t, idle); err != nil {
		return err
	}
	if _, err := a.Stores.Tokens.DeleteExpired(ctx, t); err != nil {
		return err
	}
	if _, err := a.Stores.StaffAuth.DeleteExpired(ctx, t); err != nil {
		return err
	}
	if err := a.CleanupSSO(ctx); err != nil {
		return err
	}
	_, err := a.Stores.RateLimits.DeleteExpired(ctx, t)
	return err
}
