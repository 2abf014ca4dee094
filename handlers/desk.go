package handlers

import (
	"errors"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// The agents' queue (SPEC D-1, D-2, D-9): every ticket from every channel in one list, with
// filters in the query string (so a filtered queue is a link, and works without JavaScript),
// built-in and saved views, keyset pages, and a live refresh when any ticket changes.

// deskFilters is the queue's query string, parsed. Unknown values fall back to "any".
type deskFilters struct {
	Status   string // open (default), closed, all
	Owner    string // "", "me", "none" or a staff id
	Team     string // "", "none" or a team id
	Channel  string
	Pipeline string
	Priority string
	Q        string
}

// parseDeskFilters reads the filters from a query-string getter.
func parseDeskFilters(get func(string) string) deskFilters {
	f := deskFilters{
		Status:   oneOf(get("status"), models.QueueOpen, models.QueueClosed, models.QueueAll),
		Owner:    get("owner"),
		Team:     get("team"),
		Channel:  get("channel"),
		Pipeline: get("pipeline"),
		Priority: get("priority"),
		Q:        strings.TrimSpace(get("q")),
	}
	if f.Owner != "me" && f.Owner != "none" && !positiveID(f.Owner) {
		f.Owner = ""
	}
	if f.Team != "none" && !positiveID(f.Team) {
		f.Team = ""
	}
	if !models.Channel(f.Channel).Valid() {
		f.Channel = ""
	}
	if !positiveID(f.Pipeline) {
		f.Pipeline = ""
	}
	if !models.Priority(f.Priority).Valid() {
		f.Priority = ""
	}
	if len(f.Q) > 200 {
		f.Q = f.Q[:200]
	}
	return f
}

func positiveID(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// query turns the filters into the store's query for the viewing agent.
func (f deskFilters) query(me int64) models.DeskQuery {
	q := models.DeskQuery{Status: f.Status, Channel: models.Channel(f.Channel), PipelineID: atoi64(f.Pipeline),
		Priority: models.Priority(f.Priority), Search: f.Q}
	switch f.Owner {
	case "me":
		q.OwnerID = me
	case "none":
		q.Unassigned = true
	case "":
	default:
		q.OwnerID = atoi64(f.Owner)
	}
	switch f.Team {
	case "none":
		q.NoTeam = true
	case "":
	default:
		q.TeamID = atoi64(f.Team)
	}
	return q
}

// values encodes the filters (without empty ones) for links and saved views.
func (f deskFilters) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "owner": f.Owner, "team": f.Team, "channel": f.Channel,
		"pipeline": f.Pipeline, "priority": f.Priority, "q": f.Q} {
		if s != "" && !(k == "status" && s == models.QueueOpen) {
			v.Set(k, s)
		}
	}
	return v
}

// deskViewLink is one entry of the views menu.
type deskViewLink struct {
	ID      int64 // 0 for built-in views
	Name    string
	URL     string
	Current bool
	Mine    bool // the agent may delete it
}

// option is one choice of a select.
type option struct {
	Value, Label string
}

// deskRowView is one queue line as shown.
type deskRowView struct {
	Ref, Subject, Contact, Owner, Team, Status, URL string
	Channel                                         models.Channel
	Priority                                        models.Priority
	Closed                                          bool
	LastActivity                                    stamp
}

// deskQueuePage is the queue's view model, for the page and its list fragment.
type deskQueuePage struct {
	Base
	Filters    deskFilters
	Views      []deskViewLink
	Rows       []deskRowView
	RowsHTML   template.HTML // Rows rendered, shared by every page with the same rows
	NextURL    string
	ListURL    string // this page's list, refetched on a live event
	Owners     []option
	Teams      []option
	Pipelines  []option
	Channels   []models.Channel
	Priorities []models.Priority
	Errors     map[string]string
}

// builtInViews are the views every agent has (D-2).
func builtInViews(b Base) []deskViewLink {
	return []deskViewLink{
		{Name: b.T("desk.view.mine_open"), URL: "/desk?owner=me"},
		{Name: b.T("desk.view.unassigned"), URL: "/desk?owner=none"},
		{Name: b.T("desk.view.all_open"), URL: "/desk"},
		{Name: b.T("desk.view.all"), URL: "/desk?status=all"},
	}
}

// showDeskQueue renders the queue; htmx requests get the list fragment alone.
func (h *Handler) showDeskQueue(c *fiber.Ctx) error {
	me := h.viewer(c).Staff
	ctx := c.UserContext()
	vm := deskQueuePage{Base: h.base(c, "desk.title", "desk"), Filters: parseDeskFilters(func(k string) string { return c.Query(k) }),
		Channels: models.Channels, Priorities: models.Priorities, Errors: map[string]string{}}
	q := vm.Filters.query(me.ID)
	q.After = c.Query("after")
	page, err := h.app.Stores.Tickets.Queue(ctx, q)
	if err != nil {
		return err
	}
	rows, err := h.deskRows(c, page.Rows)
	if err != nil {
		return err
	}
	vm.Rows = rows
	if len(rows) > 0 {
		parts := []string{vm.Lang}
		for _, r := range rows {
			parts = append(parts, r.URL, r.Ref, r.Subject, r.Contact, r.Owner, r.Status, string(r.Channel), string(r.Priority),
				r.LastActivity.ISO, strconv.FormatBool(r.Closed))
		}
		if vm.RowsHTML, err = h.cachedFragment(contentKey("partials/desk/queue_rows", parts...), "partials/desk/queue_rows", vm); err != nil {
			return err
		}
	}
	current := vm.Filters.values()
	vm.ListURL = "/desk?" + current.Encode()
	if page.Next != "" {
		next := vm.Filters.values()
		next.Set("after", page.Next)
		vm.NextURL = "/desk?" + next.Encode()
	}
	if isFragment(c) {
		return h.render(c, fiber.StatusOK, "partials/desk/queue", vm)
	}
	if err := h.deskQueueChrome(c, &vm, me.ID); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/desk/queue", vm)
}

// deskQueueChrome fills what only the whole page shows: views and the filter choices.
func (h *Handler) deskQueueChrome(c *fiber.Ctx, vm *deskQueuePage, me int64) error {
	ctx := c.UserContext()
	current := "/desk"
	if e := vm.Filters.values().Encode(); e != "" {
		current += "?" + e
	}
	for _, v := range builtInViews(vm.Base) {
		v.Current = v.URL == current
		vm.Views = append(vm.Views, v)
	}
	saved, err := h.app.Stores.Desk.Views(ctx, me)
	if err != nil {
		return err
	}
	for _, v := range saved {
		u := "/desk"
		f := parseDeskFilters(func(k string) string { return v.Filters[k] })
		if e := f.values().Encode(); e != "" {
			u += "?" + e
		}
		vm.Views = append(vm.Views, deskViewLink{ID: v.ID, Name: v.Name, URL: u, Current: u == current,
			Mine: (v.StaffID != nil && *v.StaffID == me) || h.viewer(c).Staff.IsAdmin()})
	}
	lk, err := h.app.Lookups(ctx)
	if err != nil {
		return err
	}
	for _, s := range lk.Staff {
		vm.Owners = append(vm.Owners, option{strconv.FormatInt(s.ID, 10), s.Name})
	}
	for _, t := range lk.Teams {
		vm.Teams = append(vm.Teams, option{strconv.FormatInt(t.ID, 10), t.Name})
	}
	for _, p := range lk.Pipelines {
		vm.Pipelines = append(vm.Pipelines, option{strconv.FormatInt(p.ID, 10), p.Name})
	}
	return nil
}

// deskRows resolves the names a page of rows shows: two queries for contacts and staff, one
// for stages and teams (cached per request), never one per row.
func (h *Handler) deskRows(c *fiber.Ctx, rows []models.DeskRow) ([]deskRowView, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ctx := c.UserContext()
	var staffIDs, contactIDs []int64
	for _, r := range rows {
		if r.OwnerID != nil {
			staffIDs = append(staffIDs, *r.OwnerID)
		}
		if r.ContactID != nil {
			contactIDs = append(contactIDs, *r.ContactID)
		}
	}
	staff, contacts, err := h.app.Stores.Desk.Names(ctx, staffIDs, contactIDs)
	if err != nil {
		return nil, err
	}
	lk, err := h.app.Lookups(ctx)
	if err != nil {
		return nil, err
	}
	stages := lk.Stages
	out := make([]deskRowView, 0, len(rows))
	for _, r := range rows {
		v := deskRowView{Ref: r.Ref(), Subject: r.Subject, Channel: r.SourceChannel, Priority: r.Priority,
			Closed: r.IsClosed, LastActivity: timeStamp(r.LastActivityAt), URL: "/desk/tickets/" + r.Ref(),
			Status: stages[r.StageID].Name}
		if r.ContactID != nil {
			v.Contact = contacts[*r.ContactID]
		}
		if r.OwnerID != nil {
			v.Owner = staff[*r.OwnerID]
		}
		out = append(out, v)
	}
	return out, nil
}

// saveDeskView stores the current filters as a named view of the agent's (or, for an admin who
// ticks "shared", every agent's).
func (h *Handler) saveDeskView(c *fiber.Ctx) error {
	me := h.viewer(c).Staff
	f := parseDeskFilters(func(k string) string { return c.FormValue(k) })
	v := models.DeskView{Name: strings.TrimSpace(c.FormValue("name")), Filters: models.Props{}}
	for k, vals := range f.values() {
		v.Filters[k] = vals[0]
	}
	if !(me.IsAdmin() && c.FormValue("shared") == "on") {
		v.StaffID = &me.ID
	}
	if err := h.app.Stores.Desk.SaveView(c.UserContext(), &v); err != nil {
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		h.setFlash(c, "error", "desk.view.invalid")
		return redirect(c, "/desk?"+f.values().Encode())
	}
	h.setFlash(c, "info", "desk.view.saved")
	return redirect(c, "/desk?"+f.values().Encode())
}

// deleteDeskView removes one of the agent's views (admins also shared ones).
func (h *Handler) deleteDeskView(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	me := h.viewer(c).Staff
	if err := h.app.Stores.Desk.DeleteView(c.UserContext(), me.ID, id, me.IsAdmin()); err != nil {
		return err
	}
	h.setFlash(c, "info", "desk.view.deleted")
	return redirect(c, "/desk")
}

// deskEvents streams the live events a desk page needs: the queue's, one ticket's (with
// ?ticket=), and always the agent's own notifications; with ?only=notifications, those alone
// (the notification badge of the admin pages).
func (h *Handler) deskEvents(c *fiber.Ctx) error {
	me := h.viewer(c).Staff
	topics := []string{app.StaffTopic(me.ID)}
	if c.Query("only") == "notifications" {
		return h.streamEvents(c, topics)
	}
	if ref := c.Query("ticket"); ref != "" {
		n, err := models.ParseRef(ref)
		if err != nil {
			return models.ErrNotFound
		}
		t, err := h.app.Stores.Tickets.ByNumber(c.UserContext(), n)
		if err != nil {
			return err
		}
		topics = append(topics, "ticket:"+t.Ref(), "desk:"+t.Ref())
	} else {
		topics = append(topics, "queue")
	}
	return h.streamEvents(c, topics)
}

// notificationsPage lists the agent's unread notifications.
type notificationsPage struct {
	Base
	Items []models.NotificationRow
	Count int
}

// maxNotificationsShown bounds the notifications page.
const maxNotificationsShown = 50

// showNotifications lists unread notifications; the badge fragment is the same data, small.
func (h *Handler) showNotifications(c *fiber.Ctx) error {
	me := h.viewer(c).Staff
	items, n, err := h.app.Stores.Desk.Unread(c.UserContext(), me.ID, maxNotificationsShown)
	if err != nil {
		return err
	}
	vm := notificationsPage{Base: h.base(c, "desk.notifications.title", "desk"), Items: items, Count: n}
	return h.page(c, fiber.StatusOK, "pages/desk/notifications", "partials/desk/notifications", vm)
}

// showNotificationBadge answers the header badge: the unread count.
func (h *Handler) showNotificationBadge(c *fiber.Ctx) error {
	me := h.viewer(c).Staff
	n, err := h.app.Stores.Desk.UnreadCount(c.UserContext(), me.ID)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "partials/desk/badge", notificationsPage{Base: h.base(c, "desk.notifications.title", "desk"), Count: n})
}
