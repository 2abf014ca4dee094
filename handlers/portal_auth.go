package handlers

import (
	"context"
	"errors"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// Customer sign-in, registration, address proof, invitations and password reset (SPEC P-3 …
// P-8). Every form answers the same whether or not an address has an account.

// portalAuthPage is the view model of the portal's system pages; each page uses what it needs.
type portalAuthPage struct {
	Base
	Form    portalForm
	Errors  map[string]string // field → translated message; "form" for the whole form
	Consent *consentView      // registration: the notice and label to agree to
	Email   string            // verify/invite/reset: the address the link was sent to
	Action  string            // the form's target
	Heading string            // translated heading of shared pages
	Message string            // translated text of shared pages
}

// portalForm holds every field the portal's account forms read; each handler uses its own.
type portalForm struct {
	Name     string `form:"name"`
	Email    string `form:"email"`
	Password string `form:"password"`
	Consent  string `form:"consent"`
	Next     string `form:"next"`
}

// consentView is the consent notice (sanitised HTML) and checkbox label shown at registration.
type consentView struct {
	Notice  template.HTML // sanitised when rendered
	Label   string
	Version int
}

func (h *Handler) authPage(c *fiber.Ctx, titleKey string) portalAuthPage {
	return portalAuthPage{Base: h.base(c, titleKey, "portal"), Errors: map[string]string{}}
}

// fieldErrors turns a validation error into the page's error map; other errors pass through.
func fieldErrors(vm *portalAuthPage, err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	vm.Errors[ve.Field] = vm.T(ve.Code)
	return nil
}

// showPortalLogin renders the customer sign-in form.
func (h *Handler) showPortalLogin(c *fiber.Ctx) error {
	if h.viewer(c).Contact != nil {
		return c.Redirect(h.portalURL(c, "/"), fiber.StatusSeeOther)
	}
	vm := h.authPage(c, "portal.login.title")
	vm.Form.Next = safeNext(c.Query("next"), "")
	return h.page(c, fiber.StatusOK, "pages/portal/login", "partials/portal/login_form", vm)
}

// submitPortalLogin signs a customer in. A right password for a contact the portal does not
// admit (access lists) leads to the access-denied page without a session.
func (h *Handler) submitPortalLogin(c *fiber.Ctx) error {
	var f portalForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	ctx := c.UserContext()
	contact, err := h.app.ContactSignIn(ctx, f.Email, f.Password, h.clientIP(c))
	var te *app.ThrottledError
	if err == nil {
		ok, aerr := h.app.PortalAdmits(ctx, h.portal(c), contact)
		if aerr != nil {
			return aerr
		}
		if !ok {
			return redirect(c, h.portalURL(c, "/denied"))
		}
		if err := h.signIn(c, models.KindContact, contact.ID); err != nil {
			return err
		}
		return redirect(c, safeNext(f.Next, h.portalURL(c, "/")))
	}
	vm := h.authPage(c, "portal.login.title")
	vm.Form = portalForm{Email: strings.TrimSpace(f.Email), Next: safeNext(f.Next, "")}
	status := fiber.StatusOK
	switch {
	case errors.Is(err, app.ErrBadCredentials):
		vm.Errors["form"] = vm.T("portal.login.invalid")
	case errors.As(err, &te):
		status = fiber.StatusTooManyRequests
		c.Set(fiber.HeaderRetryAfter, itoa(int(te.RetryAfter.Seconds())))
		vm.Errors["form"] = vm.T("login.error.throttled")
	default:
		return err
	}
	return h.page(c, status, "pages/portal/login", "partials/portal/login_form", vm)
}

// submitPortalLogout ends the customer's session.
func (h *Handler) submitPortalLogout(c *fiber.Ctx) error {
	if err := h.signOut(c); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.signed_out")
	return redirect(c, h.portalURL(c, "/login"))
}

// showRegister renders the registration form with the current consent notice.
func (h *Handler) showRegister(c *fiber.Ctx) error {
	if h.portal(c).AccessMode != models.AccessSelfRegistration {
		return c.Redirect(h.portalURL(c, "/login"), fiber.StatusSeeOther)
	}
	vm := h.authPage(c, "portal.register.title")
	if err := h.loadConsent(c, &vm); err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, "pages/portal/register", "partials/portal/register_form", vm)
}

// submitRegister starts a registration; the answer is the "check your e-mail" page whatever
// the address, unless the form itself is wrong.
func (h *Handler) submitRegister(c *fiber.Ctx) error {
	var f portalForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	vm := h.authPage(c, "portal.register.title")
	err := h.app.Register(c.UserContext(), h.portal(c), app.Registration{
		Name: f.Name, Email: f.Email, Password: f.Password, Consent: f.Consent == "yes",
		IP: h.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent), Lang: vm.Lang,
	})
	switch {
	case err == nil:
		return h.checkEmailPage(c, "portal.register.sent")
	case errors.Is(err, app.ErrRegistrationClosed):
		return redirect(c, h.portalURL(c, "/login"))
	}
	if err := fieldErrors(&vm, err); err != nil {
		return err
	}
	vm.Form = portalForm{Name: f.Name, Email: f.Email, Consent: f.Consent}
	if err := h.loadConsent(c, &vm); err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, "pages/portal/register", "partials/portal/register_form", vm)
}

func (h *Handler) loadConsent(c *fiber.Ctx, vm *portalAuthPage) error {
	ct, err := h.app.Stores.Consent.Current(c.UserContext())
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	vm.Consent = &consentView{Notice: trustedHTML(app.SanitizeConsent(ct.Notice)), Label: ct.CheckboxLabel, Version: ct.Version}
	return nil
}

// checkEmailPage is the one answer to registration and reset requests. An htmx form gets the
// message card in place of the whole main area, so no second page is nested in the form.
func (h *Handler) checkEmailPage(c *fiber.Ctx, messageKey string) error {
	vm := h.authPage(c, "portal.check_email.title")
	vm.Heading, vm.Message = vm.T("portal.check_email.heading"), vm.T(messageKey)
	if isFragment(c) {
		c.Set("HX-Retarget", "#main")
		c.Set("HX-Reswap", "innerHTML")
	}
	return h.page(c, fiber.StatusOK, "pages/portal/message", "partials/portal/message", vm)
}

// linkInvalid answers a used, expired or unknown link: 404 with a way forward.
func (h *Handler) linkInvalid(c *fiber.Ctx) error {
	vm := h.authPage(c, "portal.link_invalid.title")
	vm.Heading, vm.Message = vm.T("portal.link_invalid.heading"), vm.T("portal.link_invalid.text")
	return h.render(c, fiber.StatusNotFound, "pages/portal/message", vm)
}

// showVerify asks the visitor to confirm: a GET never consumes a link, because mail scanners
// open links before people do.
func (h *Handler) showVerify(c *fiber.Ctx) error {
	t, err := h.app.PeekToken(c.UserContext(), c.Params("token"), models.TokenVerify)
	if errors.Is(err, models.ErrNotFound) {
		return h.linkInvalid(c)
	}
	if err != nil {
		return err
	}
	vm := h.authPage(c, "portal.verify.title")
	vm.Email, vm.Action = t.Email, h.portalURL(c, "/verify/"+c.Params("token"))
	return h.render(c, fiber.StatusOK, "pages/portal/verify", vm)
}

// submitVerify completes the registration and signs the new customer in.
func (h *Handler) submitVerify(c *fiber.Ctx) error {
	contact, err := h.app.CompleteRegistration(c.UserContext(), c.Params("token"))
	if errors.Is(err, models.ErrNotFound) {
		return h.linkInvalid(c)
	}
	if err != nil {
		return err
	}
	return h.signInContact(c, contact, "flash.registered")
}

// signInContact starts a customer session if the portal admits the contact.
func (h *Handler) signInContact(c *fiber.Ctx, contact models.Contact, flash string) error {
	ok, err := h.app.PortalAdmits(c.UserContext(), h.portal(c), contact)
	if err != nil {
		return err
	}
	if !ok {
		return redirect(c, h.portalURL(c, "/denied"))
	}
	if err := h.signIn(c, models.KindContact, contact.ID); err != nil {
		return err
	}
	h.setFlash(c, "info", flash)
	return redirect(c, h.portalURL(c, "/"))
}

// showInvite renders the set-your-password form of an invitation.
func (h *Handler) showInvite(c *fiber.Ctx) error {
	return h.showSetPassword(c, models.TokenInvite, "portal.invite.title", "/invite/")
}

// submitInvite sets the first password and signs the customer in.
func (h *Handler) submitInvite(c *fiber.Ctx) error {
	return h.submitSetPassword(c, h.app.AcceptInvite, "portal.invite.title", "/invite/", "flash.password_set")
}

// showResetPassword renders the new-password form of a reset link.
func (h *Handler) showResetPassword(c *fiber.Ctx) error {
	return h.showSetPassword(c, models.TokenReset, "portal.reset.title", "/password/reset/")
}

// submitResetPassword sets the new password, ends other sessions and signs the customer in.
func (h *Handler) submitResetPassword(c *fiber.Ctx) error {
	return h.submitSetPassword(c, h.app.ResetPassword, "portal.reset.title", "/password/reset/", "flash.password_set")
}

func (h *Handler) showSetPassword(c *fiber.Ctx, purpose, titleKey, path string) error {
	t, err := h.app.PeekToken(c.UserContext(), c.Params("token"), purpose)
	if errors.Is(err, models.ErrNotFound) {
		return h.linkInvalid(c)
	}
	if err != nil {
		return err
	}
	vm := h.authPage(c, titleKey)
	vm.Email, vm.Action = t.Email, h.portalURL(c, path+c.Params("token"))
	return h.render(c, fiber.StatusOK, "pages/portal/set_password", vm)
}

func (h *Handler) submitSetPassword(c *fiber.Ctx, set func(ctx context.Context, token, pw string) (models.Contact, error),
	titleKey, path, flash string) error {
	var f portalForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	contact, err := set(c.UserContext(), c.Params("token"), f.Password)
	if errors.Is(err, models.ErrNotFound) {
		return h.linkInvalid(c)
	}
	if err == nil {
		return h.signInContact(c, contact, flash)
	}
	vm := h.authPage(c, titleKey)
	if err := fieldErrors(&vm, err); err != nil {
		return err
	}
	vm.Action = h.portalURL(c, path+c.Params("token"))
	return h.render(c, fiber.StatusOK, "pages/portal/set_password", vm)
}

// showForgotPassword renders the reset request form.
func (h *Handler) showForgotPassword(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusOK, "pages/portal/forgot", h.authPage(c, "portal.forgot.title"))
}

// submitForgotPassword mails a reset link when the address has an account; the page is the
// same either way.
func (h *Handler) submitForgotPassword(c *fiber.Ctx) error {
	var f portalForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	vm := h.authPage(c, "portal.forgot.title")
	err := h.app.RequestPasswordReset(c.UserContext(), h.portal(c), f.Email, h.clientIP(c), vm.Lang)
	if err == nil {
		return h.checkEmailPage(c, "portal.forgot.sent")
	}
	if err := fieldErrors(&vm, err); err != nil {
		return err
	}
	vm.Form.Email = f.Email
	return h.render(c, fiber.StatusOK, "pages/portal/forgot", vm)
}

// showAccessDenied explains that this account may not use the portal.
func (h *Handler) showAccessDenied(c *fiber.Ctx) error {
	vm := h.authPage(c, "portal.denied.title")
	vm.Heading, vm.Message = vm.T("portal.denied.heading"), vm.T("portal.denied.text")
	return h.render(c, fiber.StatusForbidden, "pages/portal/message", vm)
}

// submitPortalLanguage remembers a visitor's language choice among the enabled languages.
func (h *Handler) submitPortalLanguage(c *fiber.Ctx) error {
	p := h.portal(c)
	lang := string(c.Request().PostArgs().Peek("lang"))
	if p.VisitorLanguages && contains(p.Languages, lang) {
		c.Cookie(&fiber.Cookie{Name: "portico_lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, Secure: h.cfg.SecureCookies(), SameSite: "Lax"})
	}
	return redirect(c, safeNext(string(c.Request().PostArgs().Peek("next")), h.portalURL(c, "/")))
}

// trustedHTML marks output of a sanitiser as safe for templates. Use it for nothing else.
func trustedHTML(sanitised string) template.HTML { return template.HTML(sanitised) }
