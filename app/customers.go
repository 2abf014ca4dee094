package app

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"portico/models"
)

// Lifetimes of the links sent by e-mail.
const (
	VerifyTTL = 24 * time.Hour
	InviteTTL = 72 * time.Hour
	ResetTTL  = 60 * time.Minute // SECURITY.md AUTH-04: at most 60 minutes
)

// Limits on mail a stranger can make Portico send: registrations and reset requests per address
// and per client address, per hour. Past them the page answers the same and nothing is sent.
const (
	mailPerAddressPerHour = 3
	mailPerIPPerHour      = 20
)

// Registration is what the registration form submits.
type Registration struct {
	Name, Email, Password string
	Consent               bool // the consent checkbox was ticked
	IP, UserAgent         string
	Lang                  string // language of the page, used for the e-mail
}

// ErrRegistrationClosed means the portal admits only contacts on chosen lists.
var ErrRegistrationClosed = errors.New("registration is closed")

// Register starts a self-registration. Nothing is granted until the address is proven: a new
// address (or a contact without a password, such as one created from an e-mail) gets a
// single-use link that completes the registration; an address that already has an account gets
// a notice instead. The answer is the same in every case, so the form reveals no accounts.
func (a *App) Register(ctx context.Context, p models.PortalSettings, r Registration) error {
	if p.AccessMode != models.AccessSelfRegistration {
		return ErrRegistrationClosed
	}
	name := strings.TrimSpace(r.Name)
	email := models.NormalizeEmail(r.Email)
	switch {
	case name == "" || len(name) > 120 || strings.ContainsAny(name, "\r\n"):
		return models.Invalid("name", "error.name_required")
	case !validEmail(email):
		return models.Invalid("email", "error.email_invalid")
	case a.isOwnAddress(ctx, email):
		return models.Invalid("email", "error.email_reserved")
	}
	if err := ValidatePassword("password", r.Password); err != nil {
		return err
	}
	consent, err := a.Stores.Consent.Current(ctx)
	hasConsent := err == nil
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if hasConsent && !r.Consent {
		return models.Invalid("consent", "error.consent_required")
	}
	// Hash before looking the address up, so both branches cost the same.
	hash, err := HashPassword(r.Password)
	if err != nil {
		return err
	}
	if !a.allowMail(ctx, email, r.IP) {
		a.Log.Warn("registration mail limit reached", "ip", r.IP)
		return nil
	}
	existing, err := a.Stores.Contacts.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if err == nil && existing.PasswordHash != "" {
		return a.mailTemplate(ctx, r.Lang, email, "register_notice", map[string]string{
			"Name": existing.Name, "Portal": p.Title,
			"LoginLink": a.PortalLink(p, "/login"), "ResetLink": a.PortalLink(p, "/password/forgot"),
		})
	}
	data := models.Props{"name": name, "password_hash": hash, "ip": r.IP,
		"user_agent": truncate(r.UserAgent, 255), "registered_at": a.Now().Format(time.RFC3339Nano), "lang": r.Lang}
	if hasConsent {
		data["consent_text_id"] = strconv.FormatInt(consent.ID, 10)
	}
	token, err := a.newToken(ctx, models.TokenVerify, email, nil, data, VerifyTTL)
	if err != nil {
		return err
	}
	return a.mailTemplate(ctx, r.Lang, email, "verify", map[string]string{
		"Name": name, "Portal": p.Title, "Link": a.PortalLink(p, "/verify/"+token),
	})
}

// PeekToken returns a usable token's details (its address) for a confirmation page, without
// consuming it.
func (a *App) PeekToken(ctx context.Context, token, purpose string) (models.AuthToken, error) {
	if !wellFormed(token) {
		return models.AuthToken{}, models.ErrNotFound
	}
	return a.Stores.Tokens.Peek(ctx, HashToken(token), purpose, a.Now())
}

// CompleteRegistration consumes a verification link: it creates the contact (or gives the
// existing password-less contact its password), marks the address verified and stores the
// consent record with the exact text and label that were shown. It returns the contact to sign in.
func (a *App) CompleteRegistration(ctx context.Context, token string) (models.Contact, error) {
	if !wellFormed(token) {
		return models.Contact{}, models.ErrNotFound
	}
	var out models.Contact
	err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
		t, err := tx.Tokens.Consume(ctx, HashToken(token), models.TokenVerify, a.Now())
		if err != nil {
			return err
		}
		now := a.Now()
		c, err := tx.Contacts.ByEmail(ctx, t.Email)
		switch {
		case errors.Is(err, models.ErrNotFound):
			c = models.Contact{Email: t.Email, Name: t.Data["name"], PasswordHash: t.Data["password_hash"],
				EmailVerifiedAt: &now, Active: true, Language: t.Data["lang"]}
			if err := tx.Contacts.Create(ctx, &c); err != nil {
				return err
			}
		case err != nil:
			return err
		case c.PasswordHash == "":
			// A contact made from an e-mail or by an agent: the link proves the address, so the
			// registration may give it a password and, now, its earlier tickets.
			if err := tx.Contacts.SetPassword(ctx, c.ID, t.Data["password_hash"], now); err != nil {
				return err
			}
		default:
			// The address got an account meanwhile (another link was followed first). The
			// password stays; following a link to this inbox still proves the address.
		}
		if err := recordConsent(ctx, tx, c.ID, t); err != nil {
			return err
		}
		if err := tx.Tokens.Revoke(ctx, t.Email, models.TokenVerify, now); err != nil {
			return err
		}
		out, err = tx.Contacts.ByID(ctx, c.ID)
		return err
	})
	if err == nil {
		a.Log.Info("registration completed", "contact", out.ID)
	}
	return out, err
}

// recordConsent copies the consent text version shown at registration into a consent record,
// with the registration's time and client address.
func recordConsent(ctx context.Context, tx *models.Stores, contactID int64, t models.AuthToken) error {
	id, err := strconv.ParseInt(t.Data["consent_text_id"], 10, 64)
	if err != nil {
		return nil // no consent text was configured when they registered
	}
	text, err := tx.Consent.ByID(ctx, id)
	if err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, t.Data["registered_at"])
	if err != nil {
		at = t.CreatedAt
	}
	return tx.Consent.Record(ctx, &models.ConsentRecord{ContactID: contactID, ConsentTextID: &text.ID,
		Version: text.Version, Notice: text.Notice, CheckboxLabel: text.CheckboxLabel,
		IP: t.Data["ip"], UserAgent: t.Data["user_agent"], CreatedAt: at.UTC()})
}

// ContactSignIn checks a customer's e-mail and password with the same throttling and the same
// single answer as staff sign-in.
func (a *App) ContactSignIn(ctx context.Context, email, password, ip string) (models.Contact, error) {
	email = models.NormalizeEmail(email)
	keys := a.loginKeys("contact", email, ip)
	if err := a.checkThrottle(ctx, keys); err != nil {
		a.Log.Warn("login refused: throttled", "kind", "contact", "email", email, "ip", ip)
		return models.Contact{}, err
	}
	c, err := a.Stores.Contacts.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return models.Contact{}, err
	}
	hash := c.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash
	}
	if !CheckPassword(hash, password) || !c.CanSignIn() {
		a.countFailure(ctx, keys)
		a.Log.Info("login failed", "kind", "contact", "email", email, "ip", ip)
		return models.Contact{}, ErrBadCredentials
	}
	if err := a.Stores.RateLimits.Reset(ctx, keys.account); err != nil {
		a.Log.Warn("reset login throttle", "err", err)
	}
	if err := a.Stores.Contacts.RecordLogin(ctx, c.ID, a.Now()); err != nil {
		return models.Contact{}, err
	}
	a.Log.Info("login", "kind", "contact", "user", c.ID, "ip", ip)
	return c, nil
}

// RequestPasswordReset mails a reset link to an address with an account, and does nothing
// otherwise; the caller shows the same page either way. Earlier reset links die.
func (a *App) RequestPasswordReset(ctx context.Context, p models.PortalSettings, email, ip, lang string) error {
	email = models.NormalizeEmail(email)
	if !validEmail(email) {
		return models.Invalid("email", "error.email_invalid")
	}
	if !a.allowMail(ctx, email, ip) {
		a.Log.Warn("reset mail limit reached", "ip", ip)
		return nil
	}
	c, err := a.Stores.Contacts.ByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || (err == nil && (!c.Active || c.PasswordHash == "")) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.Stores.Tokens.Revoke(ctx, email, models.TokenReset, a.Now()); err != nil {
		return err
	}
	token, err := a.newToken(ctx, models.TokenReset, email, &c.ID, nil, ResetTTL)
	if err != nil {
		return err
	}
	return a.mailTemplate(ctx, lang, email, "reset", map[string]string{
		"Name": c.Name, "Portal": p.Title, "Link": a.PortalLink(p, "/password/reset/"+token),
	})
}

// ResetPassword consumes a reset link and sets the new password. Every session of the contact
// ends (the caller starts a fresh one), and the login throttle for the account is lifted: a
// reset is how the owner gets back in after an attack.
func (a *App) ResetPassword(ctx context.Context, token, password string) (models.Contact, error) {
	return a.setPasswordByToken(ctx, token, models.TokenReset, password)
}

// AcceptInvite consumes an invitation link (access-list mode) and sets the first password.
func (a *App) AcceptInvite(ctx context.Context, token, password string) (models.Contact, error) {
	return a.setPasswordByToken(ctx, token, models.TokenInvite, password)
}

func (a *App) setPasswordByToken(ctx context.Context, token, purpose, password string) (models.Contact, error) {
	if !wellFormed(token) {
		return models.Contact{}, models.ErrNotFound
	}
	// Validate first: a rejected password must not use up the link.
	if err := ValidatePassword("password", password); err != nil {
		return models.Contact{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return models.Contact{}, err
	}
	var out models.Contact
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		t, err := tx.Tokens.Consume(ctx, HashToken(token), purpose, a.Now())
		if err != nil {
			return err
		}
		if t.ContactID == nil {
			return models.ErrNotFound
		}
		if err := tx.Contacts.SetPassword(ctx, *t.ContactID, hash, a.Now()); err != nil {
			return err
		}
		if err := tx.Tokens.Revoke(ctx, t.Email, purpose, a.Now()); err != nil {
			return err
		}
		if _, err := tx.Sessions.DeleteForUser(ctx, models.KindContact, *t.ContactID, ""); err != nil {
			return err
		}
		out, err = tx.Contacts.ByID(ctx, *t.ContactID)
		return err
	})
	if err != nil {
		return models.Contact{}, err
	}
	for _, key := range []string{a.loginKeys("contact", out.Email, "").account, a.loginKeys("contact", out.Email, "").daily} {
		if err := a.Stores.RateLimits.Reset(ctx, key); err != nil {
			a.Log.Warn("reset login throttle", "err", err)
		}
	}
	a.Log.Info("password set by link", "purpose", purpose, "contact", out.ID)
	return out, nil
}

// InviteContacts sends a set-your-password link to each given contact who has no password yet
// and no unused invitation (access-list mode: when the mode is switched on or a contact joins
// an access list). It returns how many invitations went out.
func (a *App) InviteContacts(ctx context.Context, p models.PortalSettings, contacts []models.Contact) (int, error) {
	sent := 0
	for _, c := range contacts {
		if c.PasswordHash != "" || !c.Active {
			continue
		}
		pending, err := a.Stores.Tokens.HasUsable(ctx, c.Email, models.TokenInvite, a.Now())
		if err != nil {
			return sent, err
		}
		if pending {
			continue
		}
		token, err := a.newToken(ctx, models.TokenInvite, c.Email, &c.ID, nil, InviteTTL)
		if err != nil {
			return sent, err
		}
		lang := c.Language
		if lang == "" {
			lang = p.Language
		}
		if err := a.mailTemplate(ctx, lang, c.Email, "invite", map[string]string{
			"Name": c.Name, "Portal": p.Title, "Link": a.PortalLink(p, "/invite/"+token),
		}); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// InviteAccessLists invites every member of the portal's access lists who has no password yet.
// Call it after the access mode or the lists change.
func (a *App) InviteAccessLists(ctx context.Context, p models.PortalSettings) (int, error) {
	if p.AccessMode != models.AccessLists {
		return 0, nil
	}
	members, err := a.Stores.Contacts.MembersOf(ctx, p.AccessLists)
	if err != nil {
		return 0, err
	}
	return a.InviteContacts(ctx, p, members)
}

// PortalLink is the absolute address of a portal path, built only from configuration: the
// portal's custom domain when it has one (with the base URL's scheme), else the base URL and
// the slug. A Host or X-Forwarded-Host header never chooses where a link in an e-mail points.
func (a *App) PortalLink(p models.PortalSettings, path string) string {
	if p.CustomDomain != "" {
		scheme, _, _ := strings.Cut(a.Opts.BaseURL, "://")
		return scheme + "://" + p.CustomDomain + path
	}
	return a.Opts.BaseURL + "/" + p.Slug + path
}

// newToken stores a fresh single-use token and returns it (only its hash is kept).
func (a *App) newToken(ctx context.Context, purpose, email string, contactID *int64, data models.Props, ttl time.Duration) (string, error) {
	token := NewToken()
	now := a.Now()
	err := a.Stores.Tokens.Create(ctx, &models.AuthToken{TokenHash: HashToken(token), Purpose: purpose,
		Email: email, ContactID: contactID, Data: data, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	return token, err
}

// allowMail counts one e-mail to address from ip and reports whether it is within the limits.
func (a *App) allowMail(ctx context.Context, address, ip string) bool {
	t := a.Now()
	n1, _, err1 := a.Stores.RateLimits.Hit(ctx, "mail-to:"+address, time.Hour, t)
	n2, _, err2 := a.Stores.RateLimits.Hit(ctx, "mail-ip:"+ip, time.Hour, t)
	if err1 != nil || err2 != nil {
		a.Log.Warn("mail rate limit", "err", errors.Join(err1, err2))
		return false
	}
	return n1 <= mailPerAddressPerHour && n2 <= mailPerIPPerHour
}

// isOwnAddress reports addresses Portico itself receives or sends from: registering one would
// let a stranger read what is sent to it (the "ticket trick").
func (a *App) isOwnAddress(ctx context.Context, email string) bool {
	if from, err := mail.ParseAddress(a.Opts.SMTP.From); err == nil && models.NormalizeEmail(from.Address) == email {
		return true
	}
	own, err := a.Stores.Inboxes.HasAddress(ctx, email)
	if err != nil {
		a.Log.Warn("inbox address check", "err", err)
		return true // refuse when unsure
	}
	return own
}

func validEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email && len(email) <= 254 && strings.Contains(email, "@")
}

// wellFormed accepts only what NewToken makes, so junk never reaches the database.
func wellFormed(token string) bool {
	if len(token) != 43 {
		return false
	}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
