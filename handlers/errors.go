package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// errorPage is the view model of the error page and the htmx error flash.
type errorPage struct {
	Base
	Status  int
	Heading string
	Message string
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	var fe *fiber.Error
	var te *app.ThrottledError
	var ve *models.ValidationError
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, models.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(err, app.ErrForbidden), errors.Is(err, errCSRF):
		return fiber.StatusForbidden
	case errors.As(err, &te):
		return fiber.StatusTooManyRequests
	case errors.As(err, &ve):
		return fiber.StatusBadRequest
	case errors.Is(err, models.ErrConflict):
		return fiber.StatusConflict
	}
	return fiber.StatusInternalServerError
}

// handleError is Fiber's one error handler. People never see err.Error(): they get a
// translated message for the status; 500s are logged with their cause and request ID. htmx
// requests get a flash fragment swapped into #flash instead of a whole page.
func (h *Handler) handleError(c *fiber.Ctx, err error) error {
	status := statusOf(err)
	if status >= 500 {
		h.log.Error("request failed", "err", err, "route", c.Route().Path, "id", c.Locals(localRequestID))
	}
	var te *app.ThrottledError
	if errors.As(err, &te) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(te.RetryAfter.Seconds())))
	}
	key := "error." + strconv.Itoa(status)
	if errors.Is(err, errCSRF) {
		key = "error.csrf"
	}
	if _, ok := c.Locals(localViewer).(*Viewer); !ok {
		c.Locals(localViewer, &Viewer{})
	}
	vm := errorPage{Base: h.base(c, "error.title", "error"), Status: status}
	vm.Heading = h.tr.T(vm.Lang, "error.heading."+strconv.Itoa(status))
	if vm.Heading == "error.heading."+strconv.Itoa(status) {
		vm.Heading = h.tr.T(vm.Lang, "error.heading.other")
	}
	vm.Message = h.tr.T(vm.Lang, key)
	if vm.Message == key {
		vm.Message = h.tr.T(vm.Lang, "error.other")
	}
	vm.Title = vm.Heading
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Retarget", "#flash")
		c.Set("HX-Reswap", "innerHTML")
		vm.Flash = &Flash{Kind: "error", Message: vm.Message}
		if rerr := h.render(c, status, "partials/flash", vm); rerr == nil {
			return nil
		}
	} else if rerr := h.render(c, status, "pages/errors/error", vm); rerr == nil {
		return nil
	} else {
		h.log.Error("render error page", "err", rerr)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(status).SendString(vm.Heading)
}

// notFound answers every path no route matched.
func (h *Handler) notFound(c *fiber.Ctx) error { return fiber.ErrNotFound }
