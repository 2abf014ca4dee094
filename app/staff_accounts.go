package app

// Staff accounts (SPEC A-5 team admin; SECURITY AUTH-02, AUTH-04, SESS-02): admins invite staff
// by e-mail and change their role, teams and whether they may sign in; staff choose their
// password through a single-use link, either from the invitation or from "forgot password".
// Links are built from the configured base URL only and only their SHA-256 is stored.

import (
	"context"
	"errors"
	"time"

	"portico/models"
)

// StaffResetTTL is how long a staff password-reset link works (AUTH-04: at most 60 minutes).
// Invitations last InviteTTL (72 hours).
const StaffResetTTL = ResetTTL

// ErrOwnAccount refuses an admin's attempt to deactivate or demote themselves: another admin
// must do it, so that nobody locks themselves out by a slip.
var ErrOwnAccount = errors.New("an admin cannot deactivate or demote their own account")

// StaffInvite is what the invitation form gives.
type StaffInvite struct {
	Name, Email string
	Role        models.Role
	TeamIDs     []int64
	Lang        string // language of the e-mail
}

// InviteStaff creates a staff user without a password and e-mails them a link to choose one,
// valid for InviteTTL. The account, its teams, the token and the e-mail are written in one
// transaction: either the invitation exists and its e-mail is queued, or nothing is.
func (a *App) InviteStaff(ctx context.Context, inviter models.StaffUser, in StaffInvite) (models.StaffUser, error) {
	email := models.NormalizeEmail(in.Email)
	if !validEmail(email) {
		return models.StaffUser{}, models.Invalid("email", "error.email_invalid")
	}
	if !in.Role.Valid() {
		return models.StaffUser{}, models.Invalid("role", "error.role_invalid")
	}
	var u models.StaffUser
	err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
		var err error
		u, err = tx.Staff.Invite(ctx, email, models.StaffProfile{Name: in.Name, Role: in.Role, TeamIDs: in.TeamIDs})
		if err != nil {
			return err
		}
		return a.sendStaffInvite(ctx, tx, u, inviter, in.Lang)
	})
	if err != nil {
		return models.StaffUser{}, err
	}
	a.Log.Info("staff invited", "user", u.ID, "role", u.Role, "by", inviter.ID)
	return u, nil
}

// ResendStaffInvite sends a fresh invitation to an active staff user who has not chosen a
// password yet; earlier links die. Anyone else gets ErrNotFound.
func (a *App) ResendStaffInvite(ctx context.Context, inviter models.StaffUser, id int64, lang string) error {
	return a.Stores.InTx(ctx, func(tx *models.Stores) error {
		u, err := tx.Staff.ByID(ctx, id)
		if err != nil {
			return err
		}
		if !u.Active || u.PasswordHash != "" {
			return models.ErrNotFound
		}
		return a.sendStaffInvite(ctx, tx, u, inviter, lang)
	})
}

// sendStaffInvite revokes u's earlier links, stores a new invitation token and queues its
// e-mail through tx.
func (a *App) sendStaffInvite(ctx context.Context, tx *models.Stores, u, inviter models.StaffUser, lang string) error {
	token, err := a.newStaffToken(ctx, tx, u.ID, models.StaffTokenInvite, InviteTTL)
	if err != nil {
		return err
	}
	return a.mailWith(ctx, tx, lang, u.Email, "staff_invite", map[string]string{
		"Name": u.Name, "Inviter": inviter.Name, "Link": a.StaffLink("/staff/invite/" + token),
	})
}

// RequestStaffPasswordReset e-mails a reset link, valid StaffResetTTL, when the address belongs
// to an active staff user, and does nothing otherwise: the caller shows the same page either
// way (AUTH-02). Mail to one address and from one client address is rate-limited like the
// portal's (allowMail); past the limit nothing is sent and the answer is still the same.
func (a *App) RequestStaffPasswordReset(ctx context.Context, email, ip, lang string) error {
	email = models.NormalizeEmail(email)
	if !validEmail(email) {
		return models.Invalid("email", "error.email_invalid")
	}
	if !a.allowMail(ctx, email, ip) {
		a.Log.Warn("staff reset mail limit reached", "ip", ip)
		return nil
	}
	u, err := a.Stores.Staff.ByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !u.Active) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Language != "" {
		lang = u.Language
	}
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		token, err := a.newStaffToken(ctx, tx, u.ID, models.StaffTokenReset, StaffResetTTL)
		if err != nil {
			return err
		}
		return a.mailWith(ctx, tx, lang, u.Email, "staff_reset", map[string]string{
			"Name": u.Name, "Link": a.StaffLink("/password/reset/" + token),
		})
	})
	if err == nil {
		a.Log.Info("staff password reset requested", "user", u.ID, "ip", ip)
	}
	return err
}

// PeekStaffToken returns the staff user a usable link belongs to, without consuming it, for
// the page behind the link. Unknown, used, expired links and inactive users are ErrNotFound.
func (a *App) PeekStaffToken(ctx context.Context, token, purpose string) (models.StaffUser, error) {
	if !wellFormed(token) {
		return models.StaffUser{}, models.ErrNotFound
	}
	t, err := a.Stores.StaffAuth.Peek(ctx, HashToken(token), purpose, a.Now())
	if err != nil {
		return models.StaffUser{}, err
	}
	u, err := a.Stores.Staff.ByID(ctx, t.StaffID)
	if err == nil && !u.Active {
		return models.StaffUser{}, models.ErrNotFound
	}
	return u, err
}

// AcceptStaffInvite consumes an invitation link and sets the first password.
func (a *App) AcceptStaffInvite(ctx context.Context, token, password string) (models.StaffUser, error) {
	return a.setStaffPasswordByToken(ctx, token, models.StaffTokenInvite, password)
}

// ResetStaffPassword consumes a reset link and sets a new password.
func (a *App) ResetStaffPassword(ctx context.Context, token, password string) (models.StaffUser, error) {
	return a.setStaffPasswordByToken(ctx, token, models.StaffTokenReset, password)
}

// setStaffPasswordByToken checks the password first (a rejected one does not use up the
// link), then in one transaction consumes the token, sets the password, kills the user's other
// links and ends every session of theirs (the caller starts a fresh one). Afterwards the login
// throttle of the account is lifted: a reset is how the owner gets back in after an attack.
func (a *App) setStaffPasswordByToken(ctx context.Context, token, purpose, password string) (models.StaffUser, error) {
	if !wellFormed(token) {
		return models.StaffUser{}, models.ErrNotFound
	}
	if err := ValidatePassword("password", password); err != nil {
		return models.StaffUser{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return models.StaffUser{}, err
	}
	var u models.StaffUser
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		now := a.Now()
		t, err := tx.StaffAuth.Consume(ctx, HashToken(token), purpose, now)
		if err != nil {
			return err
		}
		if u, err = tx.Staff.ByID(ctx, t.StaffID); err != nil {
			return err
		}
		if !u.Active {
			return models.ErrNotFound
		}
		if err := tx.Staff.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := tx.StaffAuth.Revoke(ctx, u.ID, now); err != nil {
			return err
		}
		_, err = tx.Sessions.DeleteForUser(ctx, models.KindStaff, u.ID, "")
		return err
	})
	if err != nil {
		return models.StaffUser{}, err
	}
	u.PasswordHash = hash
	keys := a.loginKeys("staff", u.Email, "")
	for _, key := range []string{keys.account, keys.daily} {
		if err := a.Stores.RateLimits.Reset(ctx, key); err != nil {
			a.Log.Warn("reset login throttle", "err", err)
		}
	}
	a.Log.Info("staff password set by link", "purpose", purpose, "user", u.ID)
	return u, nil
}

// UpdateStaff changes a staff user's name, role and teams. An admin cannot demote themselves
// (ErrOwnAccount), and nobody can demote the last active admin (models.ErrLastAdmin).
func (a *App) UpdateStaff(ctx context.Context, actor models.StaffUser, id int64, p models.StaffProfile) error {
	if id == actor.ID && p.Role != actor.Role {
		return ErrOwnAccount
	}
	if err := a.Stores.Staff.UpdateProfile(ctx, id, p); err != nil {
		return err
	}
	a.Log.Info("staff updated", "user", id, "role", p.Role, "by", actor.ID)
	return nil
}

// SetStaffActive deactivates or reactivates a staff user. Deactivation ends every session and
// kills every link of the user in the same transaction (SESS-02). An admin cannot deactivate
// themselves (ErrOwnAccount), and nobody can deactivate the last active admin.
func (a *App) SetStaffActive(ctx context.Context, actor models.StaffUser, id int64, active bool) error {
	if id == actor.ID && !active {
		return ErrOwnAccount
	}
	err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
		if err := tx.Staff.SetActive(ctx, id, active); err != nil || active {
			return err
		}
		if err := tx.StaffAuth.Revoke(ctx, id, a.Now()); err != nil {
			return err
		}
		_, err := tx.Sessions.DeleteForUser(ctx, models.KindStaff, id, "")
		return err
	})
	if err == nil {
		a.Log.Info("staff active changed", "user", id, "active", active, "by", actor.ID)
	}
	return err
}

// StaffLink is the absolute address of a staff path, built only from the configured base URL:
// a Host or X-Forwarded-Host header never chooses where a link in an e-mail points (AUTH-04).
func (a *App) StaffLink(path string) string { return a.Opts.BaseURL + path }

// newStaffToken revokes the user's unused links, stores a fresh token of purpose through tx
// and returns it (only its hash is kept).
func (a *App) newStaffToken(ctx context.Context, tx *models.Stores, staffID int64, purpose string, ttl time.Duration) (string, error) {
	now := a.Now()
	if err := tx.StaffAuth.Revoke(ctx, staffID, now); err != nil {
		return "", err
	}
	token := NewToken()
	err := tx.StaffAuth.Create(ctx, &models.StaffToken{TokenHash: HashToken(token), Purpose: purpose,
		StaffID: staffID, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	return token, err
}
