package handlers

// Staff invitations and password reset (SECURITY AUTH-02, AUTH-04): the pages behind the
// links app/staff_accounts.go e-mails, and "forgot password" for the staff sign-in page.
// "Forgot password" answers the same whether or not the address has an account.

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"portico/models"
)

// staffAuthPage is the view model of the staff's account pages; each page uses what it needs.
type staffAuthPage struct {
	Base
	Email   string            // forgot: the address typed; set-password: the account's address
	Name    string            // set-password: the account's name
	Action  string            // the form's target
	Invite  bool              // set-password: an invitation (else a reset)
	Heading string            // message page: translated heading
	Message string            // message page: translated text
	Errors  map[string]string // field → translated message
}

// staffPasswordForm and staffForgotForm are the only fields these pages read.
type staffPasswordForm struct {
	Password string `form:"password"`
}

type staffForgotForm struct {
	Email string `form:"email"`
}

func (h *Handler) staffAuthPage(c *fiber.Ctx, titleKey string) staffAuthPage {
	return staffAuthPage{Base: h.base(c, titleKey, "auth"), Errors: map[string]string{}}
}

// showStaffForgot renders the reset request form.
func (h *Handler) showStaffForgot(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusOK, "pages/auth/staff_forgot", h.staffAuthPage(c, "staff_auth.forgot.title"))
}

// submitStaffForgot mails a reset link when the address belongs to an active staff user; the
// answer is the same page either way.
func (h *Handler) submitStaffForgot(c *fiber.Ctx) error {
	var f staffForgotForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	vm := h.staffAuthPage(c, "staff_auth.forgot.title")
	err := h.app.RequestStaffPasswordReset(c.UserContext(), f.Email, h.clientIP(c), vm.Lang)
	var ve *models.ValidationError
	switch {
	case err == nil:
		vm.Title = vm.T("staff_auth.sent.title")
		vm.Heading, vm.Message = vm.T("staff_auth.sent.heading"), vm.T("staff_auth.sent.text")
		return h.render(c, fiber.StatusOK, "pages/auth/staff_message", vm)
	case errors.As(err, &ve):
		vm.Email, vm.Errors[ve.Field] = f.Email, vm.T(ve.Code)
		return h.render(c, fiber.StatusOK, "pages/auth/staff_forgot", vm)
	}
	return err
}

// showStaffInvite renders the choose-your-password form of an invitation.
func (h *Handler) showStaffInvite(c *fiber.Ctx) error {
	return h.showStaffSetPassword(c, models.StaffTokenInvite, "/staff/invite/")
}

// submitStaffInvite sets the first password and signs the new staff user in.
func (h *Handler) submitStaffInvite(c *fiber.Ctx) error {
	return h.submitStaffSetPassword(c, h.app.AcceptStaffInvite, models.StaffTokenInvite, "/staff/invite/", "flash.staff_welcome")
}

// showStaffReset renders the new-password form of a reset link.
func (h *Handler) showStaffReset(c *fiber.Ctx) error {
	return h.showStaffSetPassword(c, models.StaffTokenReset, "/password/reset/")
}

// submitStaffReset sets the new password, ends every other session and signs the user in.
func (h *Handler) submitStaffReset(c *fiber.Ctx) error {
	return h.submitStaffSetPassword(c, h.app.ResetStaffPassword, models.StaffTokenReset, "/password/reset/", "flash.password_set")
}

func (h *Handler) showStaffSetPassword(c *fiber.Ctx, purpose, path string) error {
	u, err := h.app.PeekStaffToken(c.UserContext(), c.Params("token"), purpose)
	if errors.Is(err, models.ErrNotFound) {
		return h.staffLinkInvalid(c)
	}
	if err != nil {
		return err
	}
	return h.renderStaffSetPassword(c, u, purpose, path, nil)
}

func (h *Handler) submitStaffSetPassword(c *fiber.Ctx, set func(ctx context.Context, token, pw string) (models.StaffUser, error),
	purpose, path, flash string) error {
	var f staffPasswordForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	u, err := set(c.UserContext(), c.Params("token"), f.Password)
	var ve *models.ValidationError
	switch {
	case err == nil:
		if err := h.signIn(c, models.KindStaff, u.ID); err != nil {
			return err
		}
		v := h.viewer(c)
		v.Staff = &u
		h.setFlash(c, "info", flash)
		return redirect(c, homeFor(v))
	case errors.Is(err, models.ErrNotFound):
		return h.staffLinkInvalid(c)
	case errors.As(err, &ve):
		// The link was not used up: show the form again for the same account.
		who, perr := h.app.PeekStaffToken(c.UserContext(), c.Params("token"), purpose)
		if errors.Is(perr, models.ErrNotFound) {
			return h.staffLinkInvalid(c)
		}
		if perr != nil {
			return perr
		}
		return h.renderStaffSetPassword(c, who, purpose, path, ve)
	}
	return err
}

func (h *Handler) renderStaffSetPassword(c *fiber.Ctx, u models.StaffUser, purpose, path string, ve *models.ValidationError) error {
	title := "staff_auth.reset.title"
	if purpose == models.StaffTokenInvite {
		title = "staff_auth.invite.title"
	}
	vm := h.staffAuthPage(c, title)
	vm.Email, vm.Name, vm.Invite, vm.Action = u.Email, u.Name, purpose == models.StaffTokenInvite, path+c.Params("token")
	if ve != nil {
		vm.Errors[ve.Field] = vm.T(ve.Code)
	}
	return h.render(c, fiber.StatusOK, "pages/auth/staff_set_password", vm)
}

// staffLinkInvalid answers a used, expired or unknown link: 404 with a way forward.
func (h *Handler) staffLinkInvalid(c *fiber.Ctx) error {
	vm := h.staffAuthPage(c, "staff_auth.invalid.title")
	vm.Heading, vm.Message = vm.T("staff_auth.invalid.heading"), vm.T("staff_auth.invalid.text")
	return h.render(c, fiber.StatusNotFound, "pages/auth/staff_message", vm)
}
