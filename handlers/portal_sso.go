package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// Single sign-on into the customer portal (SPEC P-7): the JWT endpoint, the SAML service
// provider's metadata, login and assertion consumer service, and the admin settings page. Each
// endpoint answers 404 while its method is switched off (SSO-02); no header such as X-Remote-User
// or X-Forwarded-User is read anywhere. Refusals get one generic, branded page; the app layer
// writes the security log event with the reason.

// ssoErrorPage is the view model of the page shown when an SSO login is refused.
type ssoErrorPage struct {
	Base
	Heading   string
	Message   string
	ShowLogin bool   // the person has a password: offer the sign-in page
	LoginURL  string // the portal's sign-in page
	HomeURL   string // the portal's front page
}

const (
	// samlRelayStateMax is the longest RelayState SAML allows (bindings §3.4.3).
	samlRelayStateMax = 80
	// samlCookie binds a SAML login to the browser that started it (HTTPS only).
	samlCookie = "__Host-portico_saml"
)

// ssoJWT signs in the bearer of a valid SSO token and sends them on (GET /<slug>/sso/jwt?jwt=…).
func (h *Handler) ssoJWT(c *fiber.Ctx) error {
	p := h.portal(c)
	if !p.SSO.JWTEnabled {
		return fiber.ErrNotFound
	}
	contact, err := h.app.SignInWithJWT(c.UserContext(), p, c.Query("jwt"), h.clientIP(c))
	if err != nil {
		return h.ssoRefused(c, err)
	}
	return h.ssoSignedIn(c, contact, c.Query("return_to"))
}

// samlMetadata serves the service provider's metadata XML at a stable address.
func (h *Handler) samlMetadata(c *fiber.Ctx) error {
	p := h.portal(c)
	if !p.SSO.SAMLEnabled {
		return fiber.ErrNotFound
	}
	doc, err := h.app.SAMLMetadata(c.UserContext(), p)
	var se *app.SSOError
	if errors.As(err, &se) {
		return fiber.ErrNotFound // enabled but unusable: nothing to publish
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/samlmetadata+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(doc)
}

// samlLogin starts an SP-initiated SAML login: a redirect to the identity provider.
func (h *Handler) samlLogin(c *fiber.Ctx) error {
	p := h.portal(c)
	if !p.SSO.SAMLEnabled {
		return fiber.ErrNotFound
	}
	relay := ""
	if next := h.ssoReturnTo(c, c.Query("return_to")); next != h.portalURL(c, "/") && len(next) <= samlRelayStateMax {
		relay = next
	}
	to, reqID, err := h.app.SAMLLoginURL(c.UserContext(), p, relay)
	if err != nil {
		return h.ssoRefused(c, err)
	}
	if h.cfg.SecureCookies() {
		// SameSite=None, unlike every other cookie here: the IdP posts the response cross-site,
		// and this cookie must come with it to prove the same browser started the login.
		c.Cookie(&fiber.Cookie{Name: samlCookie, Value: reqID, Path: "/", MaxAge: 600,
			HTTPOnly: true, Secure: true, SameSite: fiber.CookieSameSiteNoneMode})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(to, fiber.StatusFound)
}

// samlACS receives the identity provider's response (HTTP-POST binding). It is exempt from the
// CSRF token (see routes.go): the signed response answering our own request is the protection.
func (h *Handler) samlACS(c *fiber.Ctx) error {
	p := h.portal(c)
	if !p.SSO.SAMLEnabled {
		return fiber.ErrNotFound
	}
	args := c.Request().PostArgs()
	binding := app.SAMLBinding{Required: h.cfg.SecureCookies()}
	if binding.Required {
		binding.RequestID = c.Cookies(samlCookie)
	}
	if binding.RequestID != "" { // used up, whatever the outcome
		c.Cookie(&fiber.Cookie{Name: samlCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
			HTTPOnly: true, Secure: true, SameSite: fiber.CookieSameSiteNoneMode})
	}
	contact, err := h.app.SignInWithSAML(c.UserContext(), p, string(args.Peek("SAMLResponse")), binding, h.clientIP(c))
	if err != nil {
		return h.ssoRefused(c, err)
	}
	return h.ssoSignedIn(c, contact, string(args.Peek("RelayState")))
}

// ssoSignedIn starts the contact's session and sends them to a local portal page.
func (h *Handler) ssoSignedIn(c *fiber.Ctx, contact models.Contact, returnTo string) error {
	if err := h.signIn(c, models.KindContact, contact.ID); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(h.ssoReturnTo(c, returnTo), fiber.StatusSeeOther)
}

// ssoReturnTo accepts only a path inside the portal; anything else goes to the portal's front page.
func (h *Handler) ssoReturnTo(c *fiber.Ctx, raw string) string {
	home := h.portalURL(c, "/")
	next := safeNext(raw, "")
	switch {
	case next == "" || len(next) > 1024:
		return home
	case home == "/": // the portal has the whole (custom) domain
		return next
	case next == home || strings.HasPrefix(next, home+"/") || strings.HasPrefix(next, home+"?"):
		return next
	}
	return home
}

// ssoRefused renders the SSO error page for a refusal; other errors go to the error handler.
func (h *Handler) ssoRefused(c *fiber.Ctx, err error) error {
	var se *app.SSOError
	if !errors.As(err, &se) {
		return err
	}
	status, key := fiber.StatusBadRequest, "sso.error.invalid"
	switch se.Kind {
	case app.SSOUsePassword:
		status, key = fiber.StatusForbidden, "sso.error.use_password"
	case app.SSODenied:
		status, key = fiber.StatusForbidden, "sso.error.denied"
	}
	vm := ssoErrorPage{Base: h.base(c, "sso.error.title", "portal"), ShowLogin: se.Kind == app.SSOUsePassword,
		LoginURL: h.portalURL(c, "/login"), HomeURL: h.portalURL(c, "/")}
	vm.Heading, vm.Message = vm.T("sso.error.heading"), vm.T(key)
	if vm.Portal != nil {
		// The layout's language form returns to "this page": here that URL carries the token.
		vm.Portal.Next = vm.HomeURL
	}
	return h.render(c, status, "pages/portal/sso_error", vm)
}

// ssoSettingsPage is the view model of the admin SSO page, one tab of the portal settings
// (portalAdmin carries the sub-navigation and the field errors). It never holds the JWT secret.
type ssoSettingsPage struct {
	portalAdmin
	Action        string
	Form          ssoForm
	AlgHS256      bool
	AlgRS256      bool
	SecretSet     bool
	Lists         []ssoListOption
	JWTURL        string
	SPEntityID    string
	SPMetadataURL string
	SPACSURL      string
	SPCertificate string
}

// ssoForm is what the admin page shows in its fields; the secret is never among them.
type ssoForm struct {
	JWTEnabled, SAMLEnabled, TrustEmail                bool
	JWTAlgorithm, JWTPublicKey, JWTIssuer, JWTAudience string
	SAMLIdPMetadata, SAMLEntityID                      string
	AudienceLists                                      []int64
}

// ssoFields are the fields the SSO page shows errors beside.
var ssoFields = []string{"jwt_algorithm", "jwt_secret", "jwt_public_key", "jwt_issuer", "jwt_audience",
	"saml_idp_metadata", "saml_entity_id", "audience_lists"}

// ssoListOption is one contact list in the audience choice.
type ssoListOption struct {
	ID       int64
	Name     string
	Selected bool
}

// showSSOSettings renders the admin SSO settings page.
func (h *Handler) showSSOSettings(c *fiber.Ctx) error {
	vm, err := h.ssoSettings(c, nil)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/sso", vm)
}

// saveSSOSettings stores the SSO settings; invalid input re-renders the form with the field's
// error (status 200, so htmx would swap it too).
func (h *Handler) saveSSOSettings(c *fiber.Ctx) error {
	in, err := readSSOForm(c)
	if err == nil {
		err = h.app.SaveSSO(c.UserContext(), in)
	}
	if err == nil {
		h.setFlash(c, "info", "flash.sso_saved")
		return redirect(c, "/admin/portal/sso")
	}
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	vm, err := h.ssoSettings(c, &in)
	if err != nil {
		return err
	}
	field := ve.Field
	if !slices.Contains(ssoFields, field) {
		field = "form" // a portal setting outside this page: shown above the form
	}
	vm.Errors[field] = vm.T(ve.Code)
	return h.render(c, fiber.StatusOK, "pages/admin/sso", vm)
}

// ssoSettings builds the admin page from the stored settings, or from a submission being shown
// again.
func (h *Handler) ssoSettings(c *fiber.Ctx, in *app.SSOInput) (ssoSettingsPage, error) {
	o, err := h.app.SSOOverview(c.UserContext())
	if err != nil {
		return ssoSettingsPage{}, err
	}
	s := o.Settings
	f := ssoForm{JWTEnabled: s.JWTEnabled, SAMLEnabled: s.SAMLEnabled, TrustEmail: s.TrustEmail,
		JWTAlgorithm: s.JWTAlgorithm, JWTPublicKey: s.JWTPublicKey, JWTIssuer: s.JWTIssuer,
		JWTAudience: s.JWTAudience, SAMLIdPMetadata: s.SAMLIdPMetadata, SAMLEntityID: s.SAMLEntityID,
		AudienceLists: s.AudienceLists}
	if in != nil {
		f = ssoForm{JWTEnabled: in.JWTEnabled, SAMLEnabled: in.SAMLEnabled, TrustEmail: in.TrustEmail,
			JWTAlgorithm: in.JWTAlgorithm, JWTPublicKey: in.JWTPublicKey, JWTIssuer: in.JWTIssuer,
			JWTAudience: in.JWTAudience, SAMLIdPMetadata: in.SAMLIdPMetadata, SAMLEntityID: in.SAMLEntityID,
			AudienceLists: in.AudienceLists}
	}
	vm := ssoSettingsPage{portalAdmin: h.portalAdminBase(c, "sso.admin.title", "sso"), Action: "/admin/portal/sso", Form: f,
		AlgHS256: f.JWTAlgorithm != models.JWTRS256, AlgRS256: f.JWTAlgorithm == models.JWTRS256,
		SecretSet: o.SecretSet, JWTURL: o.JWTURL, SPEntityID: o.SPEntityID, SPMetadataURL: o.SPMetadataURL,
		SPACSURL: o.SPACSURL, SPCertificate: o.SPCertificate}
	vm.Errors = map[string]string{}
	for _, l := range o.Lists {
		opt := ssoListOption{ID: l.ID, Name: l.Name}
		for _, id := range f.AudienceLists {
			opt.Selected = opt.Selected || id == l.ID
		}
		vm.Lists = append(vm.Lists, opt)
	}
	return vm, nil
}

// readSSOForm reads the admin form, urlencoded or multipart; an uploaded metadata file replaces
// the pasted text. On a validation error the input read so far is returned to be shown again.
func readSSOForm(c *fiber.Ctx) (app.SSOInput, error) {
	values := map[string][]string{}
	var mf *multipart.Form
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		var err error
		if mf, err = c.MultipartForm(); err != nil {
			return app.SSOInput{}, fiber.ErrBadRequest
		}
		values = mf.Value
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			values[string(k)] = append(values[string(k)], string(v))
		})
	}
	get := func(k string) string {
		if v := values[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	on := func(k string) bool { v := get(k); return v == "1" || v == "on" || v == "true" }
	in := app.SSOInput{
		JWTEnabled: on("jwt_enabled"), SAMLEnabled: on("saml_enabled"), TrustEmail: on("trust_email"),
		JWTAlgorithm: get("jwt_algorithm"), JWTSecret: get("jwt_secret"), JWTPublicKey: get("jwt_public_key"),
		JWTIssuer: get("jwt_issuer"), JWTAudience: get("jwt_audience"),
		SAMLIdPMetadata: get("saml_idp_metadata"), SAMLEntityID: get("saml_entity_id"),
	}
	if in.JWTAlgorithm == "" {
		in.JWTAlgorithm = models.JWTHS256
	}
	for _, v := range values["audience_lists"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return in, models.Invalid("audience_lists", "error.sso_audience_lists")
		}
		in.AudienceLists = append(in.AudienceLists, id)
	}
	if mf == nil || len(mf.File["saml_idp_metadata_file"]) == 0 || mf.File["saml_idp_metadata_file"][0].Size == 0 {
		return in, nil
	}
	fh := mf.File["saml_idp_metadata_file"][0]
	if fh.Size > models.MaxSAMLMetadataBytes {
		return in, models.Invalid("saml_idp_metadata", "error.sso_saml_metadata_size")
	}
	f, err := fh.Open()
	if err != nil {
		return in, err
	}
	defer f.Close()
	upload, err := io.ReadAll(io.LimitReader(f, models.MaxSAMLMetadataBytes+1))
	if err != nil {
		return in, err
	}
	in.SAMLIdPMetadata = string(upload)
	return in, nil
}
