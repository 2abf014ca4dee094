package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// showPortalThread is the ticket's conversation fragment: a live page refetches it when its event
// stream says the ticket changed (STYLE 19), through the same scope as the page.
func (h *Handler) showPortalThread(c *fiber.Ctx) error {
	vm, err := h.portalTicket(c, "portal.ticket.title")
	if err != nil {
		return err
	}
	if c.Query("reply") == "closed" {
		vm.ReplyBox = "swap" // the page shows the reason; an open ticket brings its box back
	}
	return h.render(c, fiber.StatusOK, "partials/portal/thread", vm)
}

// submitPortalReply adds the customer's reply with its files. Without JavaScript it answers
// with a redirect back to the ticket; for htmx, with the refreshed conversation. The form is
// read from the request as it arrives, files straight to disk (uploads.go); a file over the
// limit is refused with 413 and the form again.
func (h *Handler) submitPortalReply(c *fiber.Ctx) error {
	scope, ok := h.portalScope(c)
	number, err := models.ParseRef(c.Params("ref"))
	if !ok || err != nil {
		return models.ErrNotFound
	}
	spec := h.uploadSpecs()["portal.ticket.reply"]
	form, err := h.readUploadForm(c, spec)
	defer form.close()
	in := app.ReplyInput{Body: form.value("body"), Files: form.uploads()}
	var t models.Ticket
	if err == nil {
		v := h.viewer(c)
		t, err = h.app.ReplyAsContact(c.UserContext(), h.portal(c), scope, *v.Contact, number, in)
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.showReplyForm(c, fiber.StatusOK, in.Body, ve.Field, ve.Code)
	}
	if err != nil {
		return h.uploadError(c, spec, err, func(msgKey string) error {
			return h.showReplyForm(c, fiber.StatusRequestEntityTooLarge, in.Body, "files", msgKey)
		})
	}
	h.setFlash(c, "info", "flash.reply_sent")
	return redirect(c, h.portalURL(c, "/tickets/"+t.Ref()))
}

// showReplyForm renders the ticket again with the reply typed so far and a message on field.
func (h *Handler) showReplyForm(c *fiber.Ctx, status int, body, field, msgKey string) error {
	vm, err := h.portalTicket(c, "portal.ticket.title")
	if err != nil {
		return err
	}
	vm.Errors[field] = vm.T(msgKey)
	vm.Body, vm.ReplyBox = body, "page"
	return h.render(c, status, "pages/portal/ticket", vm)
}

// portalEvents streams live updates: of one ticket (?ticket=T-…) when the viewer may see it, or
// of the viewer's listing (their own tickets, and their company's when shared).
func (h *Handler) portalEvents(c *fiber.Ctx) error {
	scope, ok := h.portalScope(c)
	if !ok {
		return models.ErrNotFound
	}
	if ref := c.Query("ticket"); ref != "" {
		number, err := models.ParseRef(ref)
		if err != nil {
			return models.ErrNotFound
		}
		t, err := h.app.Stores.Tickets.ForPortalByNumber(c.UserContext(), scope, number)
		if err != nil {
			return err
		}
		return h.streamEvents(c, []string{"ticket:" + t.Ref()})
	}
	topics := []string{"contact:" + strconv.FormatInt(scope.ContactID, 10)}
	if scope.CompanyID != 0 {
		topics = append(topics, "company:"+strconv.FormatInt(scope.CompanyID, 10))
	}
	return h.streamEvents(c, topics)
}

// fileUpload adapts a file of a buffered multipart form (not an upload route's stream).
func fileUpload(fh *multipart.FileHeader) app.Upload {
	return app.Upload{Name: fh.Filename, Size: fh.Size, Open: func() (io.ReadCloser, error) { return fh.Open() }}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
