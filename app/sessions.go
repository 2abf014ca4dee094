package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"portico/models"
)

// touchEvery is how stale a session's last-seen time may get before a request writes it again.
// Writing on every request would turn every page view into a database write (one writer at a
// time on SQLite); the cost is that idle expiry may come up to this much early, never late.
const touchEvery = time.Minute

// NewToken returns a random 256-bit token, URL-safe.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the SHA-256 under which a token is stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartSession records a new signed-in session and returns its token for the cookie.
func (a *App) StartSession(ctx context.Context, kind models.UserKind, userID int64, ip, userAgent string) (string, error) {
	token := NewToken()
	t := a.Now()
	if len(userAgent) > 255 {
		userAgent = userAgent[:255]
	}
	err := a.Stores.Sessions.Create(ctx, &models.Session{
		TokenHash: HashToken(token), UserKind: kind, UserID: userID, IP: ip, UserAgent: userAgent,
		CreatedAt: t, LastSeenAt: t, ExpiresAt: t.Add(a.Opts.SessionLifetime),
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// ResolveSession returns the live session behind token. An unknown, expired or idle session
// returns models.ErrNotFound (an expired one is deleted on the way). idle 0 means the timeout of
// the session's kind.
func (a *App) ResolveSession(ctx context.Context, token string, idle time.Duration) (models.Session, error) {
	su, err := a.ResolveSessionUser(ctx, token, idle)
	return su.Session, err
}

// ResolveSessionUser is ResolveSession with the session's account, read in the same statement
// (every signed-in request needs both). The account may be missing or disabled: callers check.
func (a *App) ResolveSessionUser(ctx context.Context, token string, idle time.Duration) (models.SessionUser, error) {
	if token == "" || len(token) > 128 {
		return models.SessionUser{}, models.ErrNotFound
	}
	hash := HashToken(token)
	su, err := a.Stores.Sessions.GetWithUser(ctx, hash)
	if err != nil {
		return models.SessionUser{}, err
	}
	t := a.Now()
	if idle <= 0 {
		idle = a.idleFor(ctx, su.UserKind)
	}
	if su.Expired(t, idle) {
		if err := a.Stores.Sessions.Delete(ctx, hash); err != nil {
			a.Log.Warn("delete expired session", "err", err)
		}
		return models.SessionUser{}, models.ErrNotFound
	}
	if t.Sub(su.LastSeenAt) >= touchEvery {
		if err := a.Stores.Sessions.Touch(ctx, hash, t); err != nil {
			return models.SessionUser{}, err
		}
		su.LastSeenAt = t
	}
	return su, nil
}

// idleFor is the inactivity timeout of a kind of session: the portal's admin-set timeout for
// customers (SPEC P-9), the configured one for staff.
func (a *App) idleFor(ctx context.Context, kind models.UserKind) time.Duration {
	if kind == models.KindContact {
		if p, err := a.Portal(ctx); err == nil && p.IdleMinutes > 0 {
			return p.Idle()
		}
	}
	return a.Opts.SessionIdle
}

// EndSession signs one session out; an unknown token is not an error.
func (a *App) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := a.Stores.Sessions.Delete(ctx, HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	return err
}

// EndOtherSessions signs a user out everywhere but the session with keepToken (may be empty).
func (a *App) EndOtherSessions(ctx context.Context, kind models.UserKind, userID int64, keepToken string) (int64, error) {
	keep := ""
	if keepToken != "" {
		keep = HashToken(keepToken)
	}
	return a.Stores.Sessions.DeleteForUser(ctx, kind, userID, keep)
}
