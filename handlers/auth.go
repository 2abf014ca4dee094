package handlers

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// loginForm is the staff sign-in form; only these fields are read.
type loginForm struct {
	Email    string `form:"email"`
	Password string `form:"password"`
	Next     string `form:"next"`
}

// loginPage is the view model of the staff sign-in page.
type loginPage struct {
	Base
	Form   loginForm
	Errors map[string]string // field → translated message; "form" for the whole form
}

// homeFor is where a signed-in staff user lands.
func homeFor(v *Viewer) string {
	if v.IsAdmin() {
		return "/admin"
	}
	return "/desk"
}

// showHome sends staff to their area and everyone else to the portal.
func (h *Handler) showHome(c *fiber.Ctx) error {
	if v := h.viewer(c); v.IsStaff() {
		return c.Redirect(homeFor(v), fiber.StatusSeeOther)
	}
	return c.Redirect("/portal", fiber.StatusSeeOther)
}

// showLogin renders the staff sign-in form.
func (h *Handler) showLogin(c *fiber.Ctx) error {
	if v := h.viewer(c); v.IsStaff() {
		return c.Redirect(safeNext(c.Query("next"), homeFor(v)), fiber.StatusSeeOther)
	}
	vm := loginPage{Base: h.base(c, "login.title", "auth"), Form: loginForm{Next: safeNext(c.Query("next"), "")}}
	return h.page(c, fiber.StatusOK, "pages/auth/login", "partials/auth/login_form", vm)
}

// submitLogin checks the credentials, rotates the session and goes on to the next page. Wrong
// details re-render the form (status 200, so htmx swaps it) with one message for every cause.
func (h *Handler) submitLogin(c *fiber.Ctx) error {
	var f loginForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	f.Email, f.Next = strings.TrimSpace(f.Email), safeNext(f.Next, "")
	vm := loginPage{Form: loginForm{Email: f.Email, Next: f.Next}, Errors: map[string]string{}}
	status := fiber.StatusOK
	u, err := h.app.StaffSignIn(c.UserContext(), f.Email, f.Password, h.clientIP(c))
	var te *app.ThrottledError
	switch {
	case err == nil:
		if err := h.signIn(c, models.KindStaff, u.ID); err != nil {
			return err
		}
		v := h.viewer(c)
		v.Staff = &u
		return redirect(c, safeNext(f.Next, homeFor(v)))
	case errors.Is(err, app.ErrBadCredentials):
		vm.Errors["form"] = "login.error.invalid"
	case errors.As(err, &te):
		status = fiber.StatusTooManyRequests
		c.Set(fiber.HeaderRetryAfter, itoa(int(te.RetryAfter.Seconds())))
		vm.Errors["form"] = "login.error.throttled"
	default:
		return err
	}
	vm.Base = h.base(c, "login.title", "auth")
	for k, id := range vm.Errors {
		vm.Errors[k] = vm.T(id)
	}
	return h.page(c, status, "pages/auth/login", "partials/auth/login_form", vm)
}

// submitLogout ends the session (POST only, with the CSRF token: no logout CSRF).
func (h *Handler) submitLogout(c *fiber.Ctx) error {
	wasStaff := h.viewer(c).IsStaff()
	if err := h.signOut(c); err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.signed_out")
	if wasStaff {
		return redirect(c, "/login")
	}
	return redirect(c, "/portal")
}
