// Package app holds Portico's operations: the use cases that span aggregates or have side
// effects (signing in, sessions, seeding, later replies, mail and sync). Handlers call it; it
// calls the stores in models.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

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
	// Now is the clock; tests replace it to move time.
	Now func() time.Time

	portal portalCache
}

// New builds an App over the given stores.
func New(stores *models.Stores, storage Storage, log *slog.Logger, opts Options) *App {
	return &App{Stores: stores, Storage: storage, Log: log, Opts: opts,
		Now: func() time.Time { return time.Now().UTC() }}
}

// Healthy reports whether the database answers.
func (a *App) Healthy(ctx context.Context) error { return a.Stores.DB.Ping(ctx) }

// Cleanup removes expired sessions and rate-limit windows; main runs it periodically.
func (a *App) Cleanup(ctx context.Context) error {
	t := a.Now()
	if _, err := a.Stores.Sessions.DeleteExpired(ctx, t, a.Opts.SessionIdle); err != nil {
		return err
	}
	_, err := a.Stores.RateLimits.DeleteExpired(ctx, t)
	return err
}
