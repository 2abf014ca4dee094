package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"strconv"
	"strings"

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
	return h.render(c, fiber.StatusOK, "partials/portal/thread", vm)
}

// submitPortalReply adds the customer's reply with its files. Without JavaScript it answers
// with a redirect back to the ticket; for htmx, with the refreshed conversation.
func (h *Handler) submitPortalReply(c *fiber.Ctx) error {
	scope, ok := h.portalScope(c)
	number, err := models.ParseRef(c.Params("ref"))
	if !ok || err != nil {
		return models.ErrNotFound
	}
	in := app.ReplyInput{}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		form, err := c.MultipartForm()
		if err != nil {
			return fiber.ErrBadRequest
		}
		in.Body = first(form.Value["body"])
		for _, fh := range form.File["files"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue // an empty file input
			}
			in.Files = append(in.Files, fileUpload(fh))
		}
	} else {
		in.Body = string(c.Request().PostArgs().Peek("body"))
	}
	v := h.viewer(c)
	t, err := h.app.ReplyAsContact(c.UserContext(), h.portal(c), scope, *v.Contact, number, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		vm, lerr := h.portalTicket(c, "portal.ticket.title")
		if lerr != nil {
			return lerr
		}
		vm.Errors[ve.Field] = vm.T(ve.Code)
		vm.Body = in.Body
		return h.render(c, fiber.StatusOK, "pages/portal/ticket", vm)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "info", "flash.reply_sent")
	return redirect(c, h.portalURL(c, "/tickets/"+t.Ref()))
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

func fileUpload(fh *multipart.FileHeader) app.Upload {
	return app.Upload{Name: fh.Filename, Size: fh.Size, Open: func() (io.ReadCloser, error) { return fh.Open() }}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
