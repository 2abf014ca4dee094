package app

import (
	"context"
	"errors"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"portico/models"
)

// Single sign-on into the customer portal (SPEC P-7): a JWT from the customer's own application
// (sso_jwt.go) or a SAML 2.0 assertion from an identity provider (sso_saml.go). Both end here:
// the vouched-for e-mail address is matched to a contact, or a contact is created, subject to
// the SSO audience, the portal's access lists and the rule against silent linking (SSO-02).

// SSO methods, as named in logs.
const (
	SSOMethodJWT  = "jwt"
	SSOMethodSAML = "saml"
)

// SSOFailure says which kind of refusal an SSOError is; handlers pick the status and the message
// by it, never by the reason.
type SSOFailure int

// The kinds of SSO refusal.
const (
	// SSOInvalid is a token or response that does not verify: forged, expired, replayed,
	// malformed, for someone else. The person sees one generic message.
	SSOInvalid SSOFailure = iota
	// SSOUsePassword is a valid login for an existing contact with a password while the identity
	// provider is not trusted to prove addresses: the person is told to sign in with the password.
	SSOUsePassword
	// SSODenied is a valid login for someone the portal does not admit (SSO audience, access
	// lists, a disabled contact).
	SSODenied
)

// SSOError is a refused SSO login. Reason is a short code for the security log ("jwt_expired",
// "saml_replay", …); it is never shown to the person, and neither is Detail.
type SSOError struct {
	Kind      SSOFailure
	Reason    string
	Detail    string // more for the log, from a library's private error; never a token
	ContactID int64  // the contact concerned, once known
}

// Error names the refusal by its reason code.
func (e *SSOError) Error() string { return "sso refused: " + e.Reason }

func ssoInvalid(reason string) error { return &SSOError{Kind: SSOInvalid, Reason: reason} }

// SSOIdentity is who an identity provider vouched for.
type SSOIdentity struct {
	Email string
	Name  string
}

// ssoStore is the store of the SSO tables.
func (a *App) ssoStore() *models.SSOStore { return a.Stores.SSO }

// ssoDecision writes the one security log event of an SSO login, whatever its outcome, and
// passes the result on. Errors that are not refusals (the database away) are left to the
// caller's error handling.
func (a *App) ssoDecision(method, ip string, c models.Contact, created bool, err error) (models.Contact, error) {
	var se *SSOError
	switch {
	case err == nil:
		a.Log.Info("sso login", "method", method, "outcome", "success", "contact", c.ID, "created", created, "ip", ip)
	case errors.As(err, &se):
		args := []any{"method", method, "outcome", "refused", "reason", se.Reason, "ip", ip}
		if se.ContactID != 0 {
			args = append(args, "contact", se.ContactID)
		}
		if se.Detail != "" {
			d := se.Detail
			if len(d) > 300 {
				d = d[:300] + "…"
			}
			args = append(args, "detail", d)
		}
		a.Log.Warn("sso refused", args...)
	}
	return c, err
}

// ssoContact finds the contact with the identity's address, or creates one, and checks that the
// portal admits them. It reports whether it created the contact.
func (a *App) ssoContact(ctx context.Context, p models.PortalSettings, id SSOIdentity) (models.Contact, bool, error) {
	for attempt := 0; ; attempt++ {
		c, err := a.Stores.Contacts.ByEmail(ctx, id.Email)
		if errors.Is(err, models.ErrNotFound) {
			c, err = a.ssoCreateContact(ctx, p, id)
			if errors.Is(err, models.ErrConflict) && attempt == 0 {
				continue // created meanwhile by a concurrent login: use that one
			}
			return c, err == nil, err
		}
		if err != nil {
			return models.Contact{}, false, err
		}
		if err := a.ssoAdmit(ctx, p, c); err != nil {
			return models.Contact{}, false, err
		}
		if c.PasswordHash != "" && !p.SSO.TrustEmail {
			return models.Contact{}, false, &SSOError{Kind: SSOUsePassword, Reason: "existing_password_account", ContactID: c.ID}
		}
		if err := a.ssoStore().RecordSSOLogin(ctx, c.ID, id.Name, a.Now()); err != nil {
			return models.Contact{}, false, err
		}
		return c, false, nil
	}
}

// ssoAdmit checks an existing contact against the SSO audience and the portal's access mode.
func (a *App) ssoAdmit(ctx context.Context, p models.PortalSettings, c models.Contact) error {
	if !c.Active {
		return &SSOError{Kind: SSODenied, Reason: "contact_inactive", ContactID: c.ID}
	}
	ok, err := a.SSOAdmits(ctx, p, c)
	if err != nil {
		return err
	}
	if !ok {
		return &SSOError{Kind: SSODenied, Reason: "audience", ContactID: c.ID}
	}
	if ok, err = a.PortalAdmits(ctx, p, c); err != nil {
		return err
	}
	if !ok {
		return &SSOError{Kind: SSODenied, Reason: "portal_access", ContactID: c.ID}
	}
	return nil
}

// ssoCreateContact creates a verified contact for a new SSO user. A new contact is on no list,
// so an SSO audience or list-only portal access refuses them before anything is written.
func (a *App) ssoCreateContact(ctx context.Context, p models.PortalSettings, id SSOIdentity) (models.Contact, error) {
	if len(p.SSO.AudienceLists) > 0 {
		return models.Contact{}, &SSOError{Kind: SSODenied, Reason: "audience"}
	}
	if p.AccessMode == models.AccessLists {
		return models.Contact{}, &SSOError{Kind: SSODenied, Reason: "portal_access"}
	}
	t := a.Now()
	name := id.Name
	if name == "" {
		name, _, _ = strings.Cut(id.Email, "@")
	}
	c := models.Contact{Email: id.Email, Name: name, EmailVerifiedAt: &t, LastLoginAt: &t,
		Active: true, Language: p.Language}
	if err := a.Stores.Contacts.Create(ctx, &c); err != nil {
		return models.Contact{}, err
	}
	return c, nil
}

// ssoEmail normalises and checks an address an identity provider sent.
func ssoEmail(s string) (string, bool) {
	e := models.NormalizeEmail(s)
	if e == "" || len(e) > 254 || strings.ContainsAny(e, " \t\r\n<>\"(),;:\\[]") {
		return "", false
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || strings.Count(e, "@") != 1 {
		return "", false
	}
	return e, true
}

// ssoName cleans a display name an identity provider sent: one line, printable, at most 120
// characters. Anything else becomes empty (the address's local part is used then).
func ssoName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return ""
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120])
	}
	return s
}

// portalPublicBase is the public address of the portal's root without a trailing slash: the
// custom domain when one is set, else the base URL and the slug. SSO endpoints derive their
// absolute URLs from it, never from a request's Host header.
func (a *App) portalPublicBase(p models.PortalSettings) string {
	base := strings.TrimRight(a.Opts.BaseURL, "/")
	if p.CustomDomain != "" {
		scheme := "https"
		if u, err := url.Parse(base); err == nil && u.Scheme != "" {
			scheme = u.Scheme
		}
		return scheme + "://" + p.CustomDomain
	}
	return base + "/" + p.Slug
}

// SSOInput is what the admin submits on the SSO settings page. An empty JWTSecret keeps the
// stored secret.
type SSOInput struct {
	JWTEnabled, SAMLEnabled, TrustEmail   bool
	JWTAlgorithm, JWTSecret, JWTPublicKey string
	JWTIssuer, JWTAudience                string
	SAMLIdPMetadata, SAMLEntityID         string
	AudienceLists                         []int64
}

// SaveSSO validates and stores the SSO settings. The SAML key pair is generated on the first
// save, so that the service provider's metadata and certificate exist before the admin registers
// them with the identity provider.
func (a *App) SaveSSO(ctx context.Context, in SSOInput) error {
	p, err := a.Stores.Settings.Portal(ctx)
	if err != nil {
		return err
	}
	s := models.SSOSettings{
		JWTEnabled: in.JWTEnabled, SAMLEnabled: in.SAMLEnabled, TrustEmail: in.TrustEmail,
		JWTAlgorithm: strings.TrimSpace(in.JWTAlgorithm), JWTSecret: in.JWTSecret,
		JWTPublicKey: strings.TrimSpace(in.JWTPublicKey), JWTIssuer: strings.TrimSpace(in.JWTIssuer),
		JWTAudience: strings.TrimSpace(in.JWTAudience), SAMLIdPMetadata: strings.TrimSpace(in.SAMLIdPMetadata),
		SAMLEntityID:  strings.TrimSpace(in.SAMLEntityID),
		AudienceLists: slices.Compact(slices.Sorted(slices.Values(in.AudienceLists))),
	}
	if s.JWTSecret == "" {
		s.JWTSecret = p.SSO.JWTSecret
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if s.SAMLIdPMetadata != "" {
		if _, err := parseIdPMetadata(s.SAMLIdPMetadata); err != nil {
			return models.Invalid("saml_idp_metadata", "error.sso_saml_metadata")
		}
	}
	if err := a.checkListsExist(ctx, s.AudienceLists); err != nil {
		return err
	}
	if _, err := a.ensureSPKey(ctx); err != nil {
		return err
	}
	p.SSO = s
	if err := a.SavePortal(ctx, p); err != nil {
		return err
	}
	a.Log.Info("sso settings saved", "jwt", s.JWTEnabled, "saml", s.SAMLEnabled, "trust_email", s.TrustEmail,
		"audience_lists", len(s.AudienceLists))
	return nil
}

func (a *App) checkListsExist(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	lists, err := a.ssoStore().ListsAll(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(lists, func(l models.ContactList) bool { return l.ID == id }) {
			return models.Invalid("audience_lists", "error.sso_audience_lists")
		}
	}
	return nil
}

// SSOOverview is what the admin SSO page shows. Settings.JWTSecret is always empty: the page
// says only whether a secret is set.
type SSOOverview struct {
	Settings      models.SSOSettings
	SecretSet     bool
	Lists         []models.ContactList
	JWTURL        string // where the customer's application sends people with a token
	SPEntityID    string
	SPMetadataURL string
	SPACSURL      string
	SPCertificate string // PEM; empty until the first save generates the key pair
}

// SSOOverview collects the SSO settings page's content.
func (a *App) SSOOverview(ctx context.Context) (SSOOverview, error) {
	p, err := a.Stores.Settings.Portal(ctx)
	if err != nil {
		return SSOOverview{}, err
	}
	lists, err := a.ssoStore().ListsAll(ctx)
	if err != nil {
		return SSOOverview{}, err
	}
	u := a.samlURLs(p)
	o := SSOOverview{Settings: p.SSO, SecretSet: p.SSO.HasJWTSecret(), Lists: lists,
		JWTURL: a.portalPublicBase(p) + "/sso/jwt", SPEntityID: u.entityID,
		SPMetadataURL: u.metadata.String(), SPACSURL: u.acs.String()}
	o.Settings.JWTSecret = ""
	if o.Settings.JWTAlgorithm == "" {
		o.Settings.JWTAlgorithm = models.JWTHS256
	}
	kp, err := a.ssoStore().KeyPair(ctx, spKeyName)
	switch {
	case err == nil:
		o.SPCertificate = kp.CertificatePEM
	case !errors.Is(err, models.ErrNotFound):
		return SSOOverview{}, err
	}
	return o, nil
}

// CleanupSSO forgets one-time SSO values that can no longer be accepted anyway; main's periodic
// cleanup should call it.
func (a *App) CleanupSSO(ctx context.Context) error {
	_, err := a.ssoStore().DeleteExpired(ctx, a.Now())
	return err
}
