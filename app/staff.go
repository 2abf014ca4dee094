package app

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"portico/models"
)

// ErrBadCredentials is the one answer for a wrong e-mail, a wrong password or a disabled
// account, so that a login never reveals which accounts exist.
var ErrBadCredentials = errors.New("bad credentials")

// ThrottledError says logins are refused for a while after too many failures.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string { return fmt.Sprintf("throttled for %s", e.RetryAfter) }

// Failures over a day after which an account accepts no password at all until the window ends
// (NIST SP 800-63B: at most 100 consecutive failed attempts per account).
const dailyFailureCap = 100

// StaffSignIn checks a staff login. Throttling runs first, per account and per client address,
// so that a throttled attacker learns nothing even from a right guess.
func (a *App) StaffSignIn(ctx context.Context, email, password, ip string) (models.StaffUser, error) {
	email = models.NormalizeEmail(email)
	keys := a.loginKeys("staff", email, ip)
	if err := a.checkThrottle(ctx, keys); err != nil {
		a.Log.Warn("login refused: throttled", "kind", "staff", "email", email, "ip", ip)
		return models.StaffUser{}, err
	}
	u, err := a.Stores.Staff.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return models.StaffUser{}, err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash // same work for unknown accounts: no timing oracle
	}
	if !CheckPassword(hash, password) || !u.CanSignIn() {
		a.countFailure(ctx, keys)
		a.Log.Info("login failed", "kind", "staff", "email", email, "ip", ip)
		return models.StaffUser{}, ErrBadCredentials
	}
	if err := a.Stores.RateLimits.Reset(ctx, keys.account); err != nil {
		a.Log.Warn("reset login throttle", "err", err)
	}
	if err := a.Stores.Staff.RecordLogin(ctx, u.ID, a.Now()); err != nil {
		return models.StaffUser{}, err
	}
	a.Log.Info("login", "kind", "staff", "user", u.ID, "ip", ip)
	return u, nil
}

type loginKeys struct{ account, daily, ip string }

func (a *App) loginKeys(kind, email, ip string) loginKeys {
	return loginKeys{
		account: "login:" + kind + ":" + email,
		daily:   "login-day:" + kind + ":" + email,
		ip:      "login-ip:" + ip,
	}
}

// checkThrottle refuses when the account or the address used up its failures.
func (a *App) checkThrottle(ctx context.Context, k loginKeys) error {
	t := a.Now()
	limits := []struct {
		key string
		max int
	}{
		{k.account, a.Opts.LoginMaxFailures},
		{k.daily, dailyFailureCap},
		{k.ip, 4 * a.Opts.LoginMaxFailures},
	}
	for _, l := range limits {
		hits, reset, err := a.Stores.RateLimits.Peek(ctx, l.key, t)
		if err != nil {
			return err
		}
		if hits >= l.max {
			return &ThrottledError{RetryAfter: reset.Sub(t).Round(time.Second) + time.Second}
		}
	}
	return nil
}

func (a *App) countFailure(ctx context.Context, k loginKeys) {
	t := a.Now()
	for key, window := range map[string]time.Duration{k.account: a.Opts.LoginWindow, k.daily: 24 * time.Hour, k.ip: a.Opts.LoginWindow} {
		if _, _, err := a.Stores.RateLimits.Hit(ctx, key, window, t); err != nil {
			a.Log.Warn("count login failure", "err", err)
		}
	}
}

// NewStaff is what creating a staff account needs.
type NewStaff struct {
	Email, Name, Password string
	Role                  models.Role
}

// CreateStaff validates and creates a staff account with a hashed password.
func (a *App) CreateStaff(ctx context.Context, in NewStaff) (models.StaffUser, error) {
	email := models.NormalizeEmail(in.Email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return models.StaffUser{}, models.Invalid("email", "error.email_invalid")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = strings.SplitN(email, "@", 2)[0]
	}
	if err := ValidatePassword("password", in.Password); err != nil {
		return models.StaffUser{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return models.StaffUser{}, err
	}
	u := models.StaffUser{Email: email, Name: name, Role: in.Role, PasswordHash: hash, Active: true}
	if err := a.Stores.Staff.Create(ctx, &u); err != nil {
		return models.StaffUser{}, err
	}
	a.Log.Info("staff account created", "user", u.ID, "role", u.Role)
	return u, nil
}

// EnsureFirstAdmin creates an admin from the given details when no active admin exists yet.
// It reports whether it created one.
func (a *App) EnsureFirstAdmin(ctx context.Context, email, password string) (bool, error) {
	n, err := a.Stores.Staff.CountAdmins(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, err = a.CreateStaff(ctx, NewStaff{Email: email, Password: password, Role: models.RoleAdmin})
	if err != nil {
		return false, err
	}
	return true, nil
}
