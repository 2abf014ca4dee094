package handlers

import "portico/models"

// deskEmptyViewModel gives TestEveryTemplateRenders the view models of the desk pages.
func deskEmptyViewModel(name string, b Base) (any, bool) {
	ticket := deskTicketPage{Base: b, Errors: map[string]string{},
		Messages:   []deskMessageView{{ID: 1, Author: "a", Body: "b", Internal: true, Quote: &deskQuoteView{Author: "c", Excerpt: "d"}, Files: []fileView{{Name: "f"}}}},
		Stages:     []models.PipelineStage{{ID: 1, Name: "New"}},
		Owners:     []option{{"1", "Ann"}},
		Properties: []propertyField{{Key: "k", Label: "K", Kind: "select", Options: []string{"x"}}},
		Required:   []propertyField{{Key: "r", Label: "R", Kind: "text", Required: true}},
		Timeline:   []timelineEntry{{Text: "t"}}, Channels: models.Channels, Priorities: models.Priorities,
		KB: []kbLinkView{{ID: 1, Title: "a"}}, Quote: &deskMessageView{ID: 1, Author: "a"}}
	switch name {
	case "pages/desk/queue", "partials/desk/queue", "partials/desk/queue_rows":
		return deskQueuePage{Base: b, Rows: []deskRowView{{Ref: "T-1", Subject: "s"}}, Views: builtInViews(b),
			Channels: models.Channels, Priorities: models.Priorities, Errors: map[string]string{}}, true
	case "pages/desk/notifications", "partials/desk/notifications", "partials/desk/badge":
		return notificationsPage{Base: b, Items: []models.NotificationRow{{Number: 1, Kind: "message"}}, Count: 1}, true
	case "partials/desk/badge_slot":
		return b, true
	case "pages/desk/ticket", "partials/desk/conversation", "partials/desk/sidebar", "partials/desk/reply_form",
		"partials/desk/required":
		return ticket, true
	case "partials/desk/prop_input":
		return propertyField{ID: "p", Key: "k", Kind: "text"}, true
	}
	return nil, false
}
