package handlers

import "github.com/gofiber/fiber/v2"

// registerDeskRoutes declares the agents' desk (SPEC D-1 … D-9). Every route is for signed-in
// staff, admins and agents alike.
func (h *Handler) registerDeskRoutes(f *fiber.App) {
	h.add(f, "GET", "/desk", anyStaff, "desk.home", h.showDeskQueue)
	h.add(f, "GET", "/desk/events", anyStaff, "desk.events", h.deskEvents)
	h.add(f, "POST", "/desk/views", anyStaff, "desk.views.save", h.saveDeskView)
	h.add(f, "POST", "/desk/views/:id/delete", anyStaff, "desk.views.delete", h.deleteDeskView)
	h.add(f, "GET", "/desk/notifications", anyStaff, "desk.notifications", h.showNotifications)
	h.add(f, "GET", "/desk/notifications/badge", anyStaff, "desk.notifications.badge", h.showNotificationBadge)
	h.add(f, "GET", "/desk/tickets/:ref", anyStaff, "desk.ticket", h.showDeskTicket)
	h.add(f, "GET", "/desk/tickets/:ref/conversation", anyStaff, "desk.ticket.conversation", h.deskTicketPart("partials/desk/conversation"))
	h.add(f, "GET", "/desk/tickets/:ref/sidebar", anyStaff, "desk.ticket.sidebar", h.deskTicketPart("partials/desk/sidebar"))
	h.add(f, "GET", "/desk/tickets/:ref/required", anyStaff, "desk.ticket.required", h.deskTicketPart("partials/desk/required"))
	h.add(f, "POST", "/desk/tickets/:ref/properties", anyStaff, "desk.ticket.properties", h.saveDeskProperties)
	h.add(f, "POST", "/desk/tickets/:ref/reply", anyStaff, "desk.ticket.reply", h.submitDeskReply)
	h.add(f, "POST", "/desk/tickets/:ref/compose", anyStaff, "desk.ticket.compose", h.composeDeskReply)
	h.add(f, "GET", "/desk/attachments/:id", anyStaff, "desk.attachment", h.serveDeskAttachment)
}
