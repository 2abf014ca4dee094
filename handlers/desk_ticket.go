package handlers

import (
	"errors"
	"html/template"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// A ticket in the desk (SPEC D-3 … D-8): every message of every thread with internal notes set
// apart, the reply form (reply or note, channel, quote, files, knowledge-base link, "send and
// set status"), and a sidebar with the editable properties, the contact, their company, their
// earlier conversations and the ticket's timeline.

// deskMessageView is one message as agents see it.
type deskMessageView struct {
	ID        int64
	Author    string
	FromStaff bool
	Internal  bool
	Channel   models.Channel
	Body      string
	HTML      template.HTML // sanitised when written (app.RenderMarkdown)
	Quote     *deskQuoteView
	CreatedAt time.Time
	Stamp     stamp // CreatedAt formatted once
	Files     []fileView
}

// deskQuoteView is the excerpt of a quoted message.
type deskQuoteView struct {
	Author, Excerpt string
}

// timelineEntry is one line of the ticket's history (D-8).
type timelineEntry struct {
	At   time.Time
	Text string
}

// propertyField is a custom property in the sidebar or the required-properties fieldset.
type propertyField struct {
	ID, Key, Label, Kind, Value string
	Options                     []string
	Required                    bool
	RequiredText                string // "required", translated
	Error                       string
}

// propField gives a property field its element id, unique per form (prefix "side" or "req").
func propField(p propertyField, prefix string) propertyField {
	p.ID = prefix + "-prop-" + p.Key
	return p
}

// channelIcons mark each channel in lists, beside its name (decorative: aria-hidden).
var channelIcons = map[models.Channel]string{
	// Symbols of the Basic Multilingual Plane found in common fonts (DejaVu, Noto, Segoe UI
	// Symbol), not emoji: servers and kiosks without an emoji font still draw them.
	models.ChannelPortal: "⌂", models.ChannelEmail: "✉", models.ChannelChat: "❝",
	models.ChannelCustom: "✦", models.ChannelAPI: "⚙", models.ChannelWhatsApp: "☎",
}

// channelIcon is a channel's icon, "•" for an unknown one.
func channelIcon(c models.Channel) string {
	if i, ok := channelIcons[c]; ok {
		return i
	}
	return "•"
}

// deskTicketPage is the view model of a ticket's desk page and its fragments.
type deskTicketPage struct {
	Base
	Ticket      models.Ticket
	URL         string
	Events      string
	Status      string
	Messages    []deskMessageView
	OlderHidden bool
	Timeline    []timelineEntry
	Stages      []models.PipelineStage
	Owners      []option
	Teams       []option
	Properties  []propertyField
	Required    []propertyField // the properties the chosen next stage requires
	Contact     *models.Contact
	Company     *models.Company
	Earlier     []deskRowView
	Channels    []models.Channel
	Priorities  []models.Priority
	// The reply form, kept when it comes back with errors.
	Reply  deskReplyForm
	Quote  *deskMessageView
	KB     []kbLinkView
	KBQ    string
	Errors map[string]string
}

// deskReplyForm is the reply form's fields; only these are read from the request.
type deskReplyForm struct {
	Body      string
	Kind      string // "reply" or "note"
	Channel   string
	ReplyTo   int64
	NextStage int64
}

// kbLinkView is an article offered for insertion.
type kbLinkView struct {
	ID           int64
	Title, URL   string
	MarkdownLink string
}

// deskTicketRef loads the ticket named in the URL; staff see every ticket.
func (h *Handler) deskTicketRef(c *fiber.Ctx) (models.Ticket, error) {
	n, err := models.ParseRef(c.Params("ref"))
	if err != nil {
		return models.Ticket{}, models.ErrNotFound
	}
	return h.app.Stores.Tickets.ByNumber(c.UserContext(), n)
}

// showDeskTicket renders a ticket; opening it reads the agent's notifications about it.
func (h *Handler) showDeskTicket(c *fiber.Ctx) error {
	t, err := h.deskTicketRef(c)
	if err != nil {
		return err
	}
	me := h.viewer(c).Staff
	if _, err := h.app.Stores.Desk.MarkRead(c.UserContext(), me.ID, t.ID, h.app.Now()); err != nil {
		return err
	}
	form := deskReplyForm{Kind: "reply", ReplyTo: atoi64(c.Query("reply_to"))}
	vm, err := h.deskTicket(c, t, form, nil)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/desk/ticket", vm)
}

// deskTicketPart answers one part of a ticket's page for its live refresh or an htmx request:
// the conversation, the sidebar, or the fields the reply form's chosen next stage requires
// (without JavaScript the form asks for those after the first submit).
func (h *Handler) deskTicketPart(partial string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := h.deskTicketRef(c)
		if err != nil {
			return err
		}
		vm, err := h.deskTicket(c, t, deskReplyForm{Kind: "reply", NextStage: atoi64(c.Query("next_stage"))}, nil)
		if err != nil {
			return err
		}
		return h.render(c, fiber.StatusOK, partial, vm)
	}
}

// deskTicket builds the page: a fixed number of queries whatever the ticket's size.
func (h *Handler) deskTicket(c *fiber.Ctx, t models.Ticket, form deskReplyForm, errs map[string]string) (deskTicketPage, error) {
	ctx := c.UserContext()
	vm := deskTicketPage{Base: h.base(c, "desk.ticket.title", "desk"), Ticket: t, Reply: form,
		URL: "/desk/tickets/" + t.Ref(), Events: "/desk/events?ticket=" + t.Ref(), Priorities: models.Priorities,
		Errors: errs}
	if vm.Errors == nil {
		vm.Errors = map[string]string{}
	}
	vm.Title = t.Ref() + " · " + t.Subject
	lk, err := h.app.Lookups(ctx)
	if err != nil {
		return vm, err
	}
	// The ticket's pipeline from the cached lookups (copied: they are shared), or from the
	// database when it is newer than the cache.
	i := slices.IndexFunc(lk.Pipelines, func(p models.Pipeline) bool { return p.ID == t.PipelineID })
	if i >= 0 {
		vm.Stages = slices.Clone(lk.Pipelines[i].Stages)
	} else {
		pipe, err := h.app.Stores.Pipelines.ByID(ctx, t.PipelineID)
		if err != nil {
			return vm, err
		}
		vm.Stages = pipe.Stages
	}
	sort.Slice(vm.Stages, func(i, j int) bool { return vm.Stages[i].Position < vm.Stages[j].Position })
	allStages := lk.Stages
	vm.Status = allStages[t.StageID].Name

	msgs, more, err := h.app.Stores.Tickets.TicketMessages(ctx, t.ID)
	if err != nil {
		return vm, err
	}
	vm.OlderHidden = more
	threads, err := h.app.Stores.Tickets.Threads(ctx, t.ID)
	if err != nil {
		return vm, err
	}
	channelOf := map[int64]models.Channel{}
	for _, th := range threads {
		channelOf[th.ID] = th.Channel
	}
	events, err := h.app.Stores.Desk.Events(ctx, t.ID)
	if err != nil {
		return vm, err
	}
	staffIDs, contactIDs := []int64{}, []int64{}
	for _, m := range msgs {
		if m.AuthorStaffID != nil {
			staffIDs = append(staffIDs, *m.AuthorStaffID)
		}
		if m.AuthorContactID != nil {
			contactIDs = append(contactIDs, *m.AuthorContactID)
		}
	}
	for _, e := range events {
		if e.ActorStaffID != nil {
			staffIDs = append(staffIDs, *e.ActorStaffID)
		}
		if e.Kind == models.EventAssigned {
			for _, k := range []string{"from", "to"} {
				if id := atoi64(e.Data[k]); id > 0 {
					staffIDs = append(staffIDs, id)
				}
			}
		}
	}
	staffNames, contactNames, err := h.app.Stores.Desk.Names(ctx, staffIDs, contactIDs)
	if err != nil {
		return vm, err
	}
	byID := map[int64]*deskMessageView{}
	for _, m := range msgs {
		mv := deskMessageView{ID: m.ID, Body: m.Body, HTML: template.HTML(m.BodyHTML), Internal: m.IsInternal,
			FromStaff: m.AuthorKind == models.AuthorStaff, Channel: channelOf[m.ThreadID], CreatedAt: m.CreatedAt,
			Stamp: timeStamp(m.CreatedAt)}
		switch {
		case m.AuthorStaffID != nil:
			mv.Author = staffNames[*m.AuthorStaffID]
		case m.AuthorContactID != nil:
			mv.Author = contactNames[*m.AuthorContactID]
		default:
			mv.Author = vm.T("portal.ticket.system")
		}
		if m.ReplyToID != nil {
			if q, ok := byID[*m.ReplyToID]; ok {
				mv.Quote = &deskQuoteView{Author: q.Author, Excerpt: excerpt(q.Body, 200)}
			}
		}
		for _, a := range m.Attachments {
			mv.Files = append(mv.Files, fileView{Name: a.Filename, Size: a.Size, URL: "/desk/attachments/" + a.PublicID})
		}
		vm.Messages = append(vm.Messages, mv)
		byID[m.ID] = &vm.Messages[len(vm.Messages)-1]
	}
	if form.ReplyTo != 0 {
		for i := range vm.Messages {
			if vm.Messages[i].ID == form.ReplyTo {
				q := vm.Messages[i]
				vm.Quote = &q
			}
		}
		if vm.Quote == nil {
			vm.Reply.ReplyTo = 0
		}
	}

	teamNames := map[int64]string{}
	for _, tm := range lk.Teams {
		teamNames[tm.ID] = tm.Name
		vm.Teams = append(vm.Teams, option{strconv.FormatInt(tm.ID, 10), tm.Name})
	}
	for _, s := range lk.Staff {
		vm.Owners = append(vm.Owners, option{strconv.FormatInt(s.ID, 10), s.Name})
	}
	defs, err := h.app.Stores.Properties.All(ctx)
	if err != nil {
		return vm, err
	}
	var next models.PipelineStage
	for _, s := range vm.Stages {
		if s.ID == form.NextStage {
			next = s
		}
	}
	for _, d := range defs {
		pf := propertyField{Key: d.Key, Label: d.Label, Kind: string(d.Kind), Value: t.Properties[d.Key], Options: d.Options,
			Error: vm.Errors["prop:"+d.Key]}
		pf.Required = slices.Contains(next.RequiredProperties, d.Key)
		pf.RequiredText = vm.T("desk.required")
		vm.Properties = append(vm.Properties, pf)
		if pf.Required || pf.Error != "" {
			vm.Required = append(vm.Required, pf)
		}
	}
	if slices.Contains(next.RequiredProperties, models.CategoryProperty) || vm.Errors["prop:category"] != "" {
		vm.Required = append([]propertyField{{Key: "category", Label: vm.T("ticket.category"), Kind: "text",
			Value: t.Category, Required: true, RequiredText: vm.T("desk.required"), Error: vm.Errors["prop:category"]}}, vm.Required...)
	}

	var email string
	if t.ContactID != nil {
		ct, err := h.app.Stores.Contacts.ByID(ctx, *t.ContactID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return vm, err
		}
		if err == nil {
			vm.Contact, email = &ct, ct.Email
			earlier, err := h.app.Stores.Tickets.ContactTickets(ctx, ct.ID, t.ID, 10)
			if err != nil {
				return vm, err
			}
			if vm.Earlier, err = h.deskRows(c, earlier); err != nil {
				return vm, err
			}
		}
	}
	if t.CompanyID != nil {
		co, err := h.app.Stores.Companies.ByID(ctx, *t.CompanyID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return vm, err
		}
		if err == nil {
			vm.Company = &co
		}
	}
	var threadChannel models.Channel
	if len(threads) > 0 {
		threadChannel = threads[len(threads)-1].Channel
	}
	vm.Channels = app.ReplyChannels(t, threadChannel, email)
	if vm.Reply.Channel == "" && len(vm.Channels) > 0 {
		vm.Reply.Channel = string(vm.Channels[0])
	}
	vm.Timeline = h.timeline(vm.Base, t, vm.Messages, events, staffNames, teamNames, allStages)
	return vm, nil
}

// timeline merges the ticket's creation, its messages and its events in time order.
func (h *Handler) timeline(b Base, t models.Ticket, msgs []deskMessageView, evs []models.TicketEvent,
	staff map[int64]string, teams map[int64]string, stages map[int64]models.PipelineStage) []timelineEntry {
	out := []timelineEntry{{At: t.CreatedAt, Text: b.T("desk.timeline.created", "Channel", b.T("channel."+string(t.SourceChannel)))}}
	for _, m := range msgs {
		key := "desk.timeline.replied"
		switch {
		case m.Internal:
			key = "desk.timeline.noted"
		case !m.FromStaff:
			key = "desk.timeline.wrote"
		}
		out = append(out, timelineEntry{At: m.CreatedAt, Text: b.T(key, "Who", m.Author, "Channel", b.T("channel."+string(m.Channel)))})
	}
	name := func(id string) string {
		if n := staff[atoi64(id)]; n != "" {
			return n
		}
		return b.T("desk.nobody")
	}
	for _, e := range evs {
		who := b.T("desk.someone")
		if e.ActorStaffID != nil && staff[*e.ActorStaffID] != "" {
			who = staff[*e.ActorStaffID]
		}
		var text string
		switch e.Kind {
		case models.EventAssigned:
			text = b.T("desk.timeline.assigned", "Who", who, "To", name(e.Data["to"]))
		case models.EventTeam:
			to := teams[atoi64(e.Data["to"])]
			if to == "" {
				to = b.T("desk.nobody")
			}
			text = b.T("desk.timeline.team", "Who", who, "To", to)
		case models.EventStatus:
			text = b.T("desk.timeline.status", "Who", who, "From", stages[atoi64(e.Data["from"])].Name,
				"To", stages[atoi64(e.Data["to"])].Name)
		case models.EventProperty:
			text = b.T("desk.timeline.property", "Who", who, "Key", e.Data["key"], "To", e.Data["to"])
		case models.EventChannel:
			text = b.T("desk.timeline.channel", "Who", who, "To", b.T("channel."+e.Data["to"]))
		default:
			continue
		}
		out = append(out, timelineEntry{At: e.CreatedAt, Text: text})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// excerpt shortens a text to n runes on one line.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// deskChange reads the property fields of a form into a change; only fields present in the
// form change.
func deskChange(vals url.Values, me int64) app.TicketChange {
	var ch app.TicketChange
	get := func(k string) (string, bool) {
		v, ok := vals[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	if v, ok := get("owner"); ok {
		switch v {
		case "":
			ch.Unassign = true
		case "me":
			ch.OwnerID = &me
		default:
			if id := atoi64(v); id > 0 {
				ch.OwnerID = &id
			}
		}
	}
	if v, ok := get("team"); ok {
		if id := atoi64(v); id > 0 {
			ch.TeamID = &id
		} else {
			ch.NoTeam = true
		}
	}
	if v, ok := get("stage"); ok && v != "" {
		id := atoi64(v)
		ch.StageID = &id
	}
	if v, ok := get("priority"); ok {
		p := models.Priority(v)
		ch.Priority = &p
	}
	if v, ok := get("prop:category"); ok {
		ch.Category = &v
	} else if v, ok := get("category"); ok {
		ch.Category = &v
	}
	for k, v := range vals {
		key, ok := strings.CutPrefix(k, "prop:")
		if !ok || key == "category" || len(v) == 0 {
			continue
		}
		if ch.Properties == nil {
			ch.Properties = map[string]string{}
		}
		ch.Properties[key] = v[0]
	}
	return ch
}

// postValues is an url-encoded form's fields.
func postValues(c *fiber.Ctx) url.Values {
	vals := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { vals.Add(string(k), string(v)) })
	return vals
}

// saveDeskProperties applies the sidebar form (D-3, D-4, D-6).
func (h *Handler) saveDeskProperties(c *fiber.Ctx) error {
	t, err := h.deskTicketRef(c)
	if err != nil {
		return err
	}
	me := h.viewer(c).Staff
	if _, err := h.app.UpdateTicket(c.UserContext(), *me, t.ID, deskChange(postValues(c), me.ID)); err != nil {
		return h.deskFormError(c, t, deskReplyForm{Kind: "reply", NextStage: atoi64(c.FormValue("stage"))}, err,
			fiber.StatusUnprocessableEntity)
	}
	h.setFlash(c, "info", "desk.saved")
	return redirect(c, "/desk/tickets/"+t.Ref())
}

// deskFormError re-renders the ticket page with a validation error next to its field, with
// status (422, or 413 for a file too large); other errors come back.
func (h *Handler) deskFormError(c *fiber.Ctx, t models.Ticket, form deskReplyForm, err error, status int) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	b := h.base(c, "desk.ticket.title", "desk")
	field := ve.Field
	if !strings.HasPrefix(field, "prop:") && !slices.Contains([]string{"body", "files", "owner", "team", "stage",
		"priority", "category", "channel", "reply_to"}, field) {
		field = "form"
	}
	vm, verr := h.deskTicket(c, t, form, map[string]string{field: b.T(ve.Code)})
	if verr != nil {
		return verr
	}
	return h.render(c, status, "pages/desk/ticket", vm)
}

// submitDeskReply sends a reply or adds a note (D-5 … D-7), optionally moving the ticket to
// another stage in the same transaction ("send and set status"). The form is read as it
// arrives, files straight to disk, like the portal's reply (uploads.go).
func (h *Handler) submitDeskReply(c *fiber.Ctx) error {
	t, err := h.deskTicketRef(c)
	if err != nil {
		return err
	}
	me := h.viewer(c).Staff
	spec := h.uploadSpecs()["desk.ticket.reply"]
	upload, err := h.readUploadForm(c, spec)
	defer upload.close()
	form := deskReplyForm{Body: upload.value("body"), Kind: oneOf(upload.value("kind"), "reply", "note"),
		Channel: upload.value("channel"), ReplyTo: atoi64(upload.value("reply_to")), NextStage: atoi64(upload.value("next_stage"))}
	if err != nil {
		return h.uploadError(c, spec, err, func(msgKey string) error {
			return h.deskFormError(c, t, form, models.Invalid("files", msgKey), fiber.StatusRequestEntityTooLarge)
		})
	}
	in := app.DeskReplyInput{Body: form.Body, Internal: form.Kind == "note", ReplyToID: form.ReplyTo,
		Channel: models.Channel(form.Channel), Files: upload.uploads()}
	if form.NextStage != 0 {
		id := form.NextStage
		in.Change.StageID = &id
		ch := deskChange(upload.values, me.ID)
		in.Change.Properties, in.Change.Category = ch.Properties, ch.Category
	}
	if _, err := h.app.DeskReply(c.UserContext(), *me, t.ID, in); err != nil {
		return h.deskFormError(c, t, form, err, fiber.StatusUnprocessableEntity)
	}
	if form.Kind == "note" {
		h.setFlash(c, "info", "desk.note.added")
	} else {
		h.setFlash(c, "info", "desk.reply.sent")
	}
	return redirect(c, "/desk/tickets/"+t.Ref()+"#conversation")
}

// composeDeskReply searches the knowledge base for the reply form, or inserts an article's
// link into the draft (D-5): the form comes back with the body kept, with or without htmx.
func (h *Handler) composeDeskReply(c *fiber.Ctx) error {
	t, err := h.deskTicketRef(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	form := deskReplyForm{Body: c.FormValue("body"), Kind: oneOf(c.FormValue("kind"), "reply", "note"),
		Channel: c.FormValue("channel"), ReplyTo: atoi64(c.FormValue("reply_to")), NextStage: atoi64(c.FormValue("next_stage"))}
	vm, err := h.deskTicket(c, t, form, nil)
	if err != nil {
		return err
	}
	vm.KBQ = strings.TrimSpace(c.FormValue("kb_q"))
	if id := atoi64(c.FormValue("insert_article")); id > 0 {
		link, err := h.kbArticleLink(c, id)
		if err != nil {
			return err
		}
		vm.Reply.Body = strings.TrimRight(form.Body, " \n") + "\n\n" + link.MarkdownLink
		vm.Reply.Body = strings.TrimLeft(vm.Reply.Body, "\n")
	} else if vm.KBQ != "" {
		arts, err := h.app.KBLinks(ctx, vm.KBQ, 10)
		if err != nil {
			return err
		}
		for _, a := range arts {
			vm.KB = append(vm.KB, kbLinkView{ID: a.ID, Title: a.Title, URL: a.URL})
		}
	}
	return h.page(c, fiber.StatusOK, "pages/desk/ticket", "partials/desk/reply_form", vm)
}

// kbArticleLink is a published article's public link as Markdown.
func (h *Handler) kbArticleLink(c *fiber.Ctx, id int64) (kbLinkView, error) {
	a, err := h.app.KBArticleLink(c.UserContext(), id)
	if err != nil {
		return kbLinkView{}, err
	}
	title := strings.NewReplacer("[", "(", "]", ")").Replace(a.Title)
	return kbLinkView{ID: a.ID, Title: a.Title, URL: a.URL, MarkdownLink: "[" + title + "](" + a.URL + ")"}, nil
}

// serveDeskAttachment sends any attachment to staff, as a download with a server-chosen type
// (FILE-02), like the portal's.
func (h *Handler) serveDeskAttachment(c *fiber.Ctx) error {
	a, err := h.app.Stores.Tickets.AttachmentByPublicID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.sendAttachment(c, a)
}
