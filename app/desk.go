package app

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"portico/models"
)

// The agents' desk (SPEC D-3 … D-9): ticket changes, replies and notes, each one transaction
// that also writes the ticket's timeline events, with live events published after commit.
//
// Topics: "queue" (every open queue page), "desk:<ref>" (desk pages of one ticket: notes and
// property changes that customers must not even hear of), "staff:<id>" (one agent's
// notifications). Customer-facing topics (ticket:, contact:, company:) get an event only for
// what customers see: public replies and status changes.

// TicketChange is an agent's edit of a ticket's properties. A nil field is left as it is;
// Unassign and NoTeam clear the owner and the team.
type TicketChange struct {
	OwnerID    *int64
	Unassign   bool
	TeamID     *int64
	NoTeam     bool
	StageID    *int64
	Priority   *models.Priority
	Category   *string
	Properties map[string]string // custom properties to set ("" removes one)
}

// empty reports whether the change changes nothing.
func (c TicketChange) empty() bool {
	return c.OwnerID == nil && !c.Unassign && c.TeamID == nil && !c.NoTeam && c.StageID == nil &&
		c.Priority == nil && c.Category == nil && len(c.Properties) == 0
}

// maxCategoryLen bounds a ticket's category.
const maxCategoryLen = 100

// UpdateTicket applies an agent's change to a ticket (D-3, D-4, D-6): owner, team, stage,
// priority, category and custom properties, validated together — a stage that requires
// properties is refused until they have values (ValidationError on "prop:<key>") — and
// recorded on the timeline. It returns the ticket as saved.
func (a *App) UpdateTicket(ctx context.Context, u models.StaffUser, ticketID int64, ch TicketChange) (models.Ticket, error) {
	var saved models.Ticket
	var publicChange bool
	var notify *int64
	err := a.Stores.InTx(ctx, func(tx *models.Stores) error {
		var err error
		saved, publicChange, notify, err = a.applyChange(ctx, tx, u, ticketID, ch)
		return err
	})
	if err != nil {
		return saved, err
	}
	a.publishChange(ctx, saved, publicChange, notify)
	return saved, nil
}

// applyChange validates and writes a change inside tx. It reports whether customers see the
// change (the stage) and which agent, if any, was newly assigned the ticket by someone else.
func (a *App) applyChange(ctx context.Context, tx *models.Stores, u models.StaffUser, ticketID int64, ch TicketChange) (models.Ticket, bool, *int64, error) {
	t, err := tx.Tickets.ByID(ctx, ticketID)
	if err != nil || ch.empty() {
		return t, false, nil, err
	}
	before := t
	now := a.Now()
	var evs []models.TicketEvent
	event := func(kind string, data models.Props) {
		evs = append(evs, models.TicketEvent{TicketID: t.ID, Kind: kind, ActorStaffID: &u.ID, Data: data, CreatedAt: now})
	}
	var notify *int64

	switch {
	case ch.Unassign:
		t.OwnerID = nil
	case ch.OwnerID != nil:
		owner, err := tx.Staff.ByID(ctx, *ch.OwnerID)
		if err != nil || !owner.Active {
			return t, false, nil, models.Invalid("owner", "error.owner_unknown")
		}
		t.OwnerID = &owner.ID
		if owner.ID != u.ID && !sameID(before.OwnerID, t.OwnerID) {
			notify = &owner.ID
		}
	}
	if !sameID(before.OwnerID, t.OwnerID) {
		event(models.EventAssigned, models.Props{"from": idText(before.OwnerID), "to": idText(t.OwnerID)})
	}

	switch {
	case ch.NoTeam:
		t.TeamID = nil
	case ch.TeamID != nil:
		if err := tx.Desk.TeamExists(ctx, *ch.TeamID); err != nil {
			return t, false, nil, models.Invalid("team", "error.team_unknown")
		}
		t.TeamID = ch.TeamID
	}
	if !sameID(before.TeamID, t.TeamID) {
		event(models.EventTeam, models.Props{"from": idText(before.TeamID), "to": idText(t.TeamID)})
	}

	if ch.Priority != nil {
		if !ch.Priority.Valid() {
			return t, false, nil, models.Invalid("priority", "error.priority")
		}
		t.Priority = *ch.Priority
		if t.Priority != before.Priority {
			event(models.EventProperty, models.Props{"key": "priority", "from": string(before.Priority), "to": string(t.Priority)})
		}
	}
	if ch.Category != nil {
		c := strings.TrimSpace(*ch.Category)
		if len([]rune(c)) > maxCategoryLen {
			return t, false, nil, models.Invalid("category", "error.too_long")
		}
		t.Category = c
		if c != before.Category {
			event(models.EventProperty, models.Props{"key": "category", "from": before.Category, "to": c})
		}
	}
	if len(ch.Properties) > 0 {
		defs, err := tx.Properties.All(ctx)
		if err != nil {
			return t, false, nil, err
		}
		props := models.Props{}
		for k, v := range t.Properties {
			props[k] = v
		}
		for key, value := range ch.Properties {
			value = strings.TrimSpace(value)
			i := slices.IndexFunc(defs, func(d models.TicketPropertyDef) bool { return d.Key == key })
			if i < 0 {
				return t, false, nil, models.Invalid("prop:"+key, "error.property_unknown")
			}
			if err := defs[i].Validate(value); err != nil {
				return t, false, nil, models.Invalid("prop:"+key, "error.property_value")
			}
			if props[key] == value {
				continue
			}
			event(models.EventProperty, models.Props{"key": key, "from": props[key], "to": value})
			if value == "" {
				delete(props, key)
			} else {
				props[key] = value
			}
		}
		t.Properties = props
	}

	stage, err := a.stageOf(ctx, tx, t, ch.StageID)
	if err != nil {
		return t, false, nil, err
	}
	if stage.ID != before.StageID {
		// Required properties are checked against the values after this change, so one form
		// can fill them and move the ticket at once.
		for _, key := range stage.RequiredProperties {
			if strings.TrimSpace(propertyValue(t, key)) == "" {
				return t, false, nil, models.Invalid("prop:"+key, "error.property_required")
			}
		}
		t.StageID, t.IsClosed = stage.ID, stage.IsClosed
		switch {
		case t.IsClosed && !before.IsClosed:
			t.ClosedAt = &now
		case !t.IsClosed:
			t.ClosedAt = nil
		}
		event(models.EventStatus, models.Props{"from": strconv.FormatInt(before.StageID, 10), "to": strconv.FormatInt(stage.ID, 10)})
	}
	if len(evs) == 0 {
		return t, false, nil, nil
	}
	t.UpdatedAt, t.LastActivityAt = now, now
	if err := tx.Tickets.SaveDeskFields(ctx, &t); err != nil {
		return t, false, nil, err
	}
	if notify != nil {
		if err := tx.Desk.Notify(ctx, &models.StaffNotification{StaffID: *notify, TicketID: t.ID, Kind: "assigned", CreatedAt: now}); err != nil {
			return t, false, nil, err
		}
	}
	return t, stage.ID != before.StageID, notify, tx.Desk.AddEvents(ctx, evs)
}

// stageOf returns the stage a ticket moves to: the requested one, which must belong to the
// ticket's pipeline, or its current one.
func (a *App) stageOf(ctx context.Context, tx *models.Stores, t models.Ticket, want *int64) (models.PipelineStage, error) {
	p, err := tx.Pipelines.ByID(ctx, t.PipelineID)
	if err != nil {
		return models.PipelineStage{}, err
	}
	id := t.StageID
	if want != nil {
		id = *want
	}
	for _, s := range p.Stages {
		if s.ID == id {
			return s, nil
		}
	}
	return models.PipelineStage{}, models.Invalid("stage", "error.stage_unknown")
}

// propertyValue reads a built-in or custom property of a ticket by key, for required-property
// checks.
func propertyValue(t models.Ticket, key string) string {
	switch key {
	case "category":
		return t.Category
	case "priority":
		return string(t.Priority)
	case "subject":
		return t.Subject
	}
	return t.Properties[key]
}

// DeskReplyInput is a message written in the desk.
type DeskReplyInput struct {
	Body      string // Markdown: the plain text kept in messages.body and sent by e-mail
	Internal  bool   // an internal note: staff only, no e-mail, no customer event
	ReplyToID int64  // the message quoted, on the same ticket (0 for none)
	Channel   models.Channel
	Files     []Upload
	// Change is applied in the same transaction ("send and set status", D-6).
	Change TicketChange
}

// Reply channels an agent may choose today (D-7).
var replyChannels = []models.Channel{models.ChannelPortal, models.ChannelEmail}

// ReplyChannels lists the channels a reply to t may go out on, the thread's own first: the
// portal and e-mail while the contact has an address.
func ReplyChannels(t models.Ticket, thread models.Channel, contactEmail string) []models.Channel {
	out := []models.Channel{}
	if thread != "" {
		out = append(out, thread)
	}
	for _, c := range replyChannels {
		if c == models.ChannelEmail && contactEmail == "" {
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Desk reply limits.
const maxDeskBody = 50000

// DeskReply adds an agent's reply or internal note to a ticket (D-5 … D-7). A reply goes on the
// latest thread, or on a new thread when the agent picks another channel (or there is none);
// its rich text is the Markdown body rendered and sanitised. A public reply e-mails the
// contact: on the e-mail channel the message itself, otherwise a notice with a link to the
// portal. An internal note sends nothing to the customer and publishes only on staff topics.
// Change (send and set status) is applied in the same transaction, so a refused required
// property refuses the reply too and nothing is sent.
func (a *App) DeskReply(ctx context.Context, u models.StaffUser, ticketID int64, in DeskReplyInput) (models.Message, error) {
	body := strings.TrimSpace(in.Body)
	switch {
	case body == "" && len(in.Files) == 0:
		return models.Message{}, models.Invalid("body", "error.reply_empty")
	case len(body) > maxDeskBody:
		return models.Message{}, models.Invalid("body", "error.reply_too_long")
	case len(in.Files) > maxFilesPerMessage:
		return models.Message{}, models.Invalid("files", "error.too_many_files")
	}
	t, err := a.Stores.Tickets.ByID(ctx, ticketID)
	if err != nil {
		return models.Message{}, err
	}
	p, err := a.Portal(ctx)
	if err != nil {
		return models.Message{}, err
	}
	files, err := a.storeUploads(ctx, in.Files)
	if err != nil {
		return models.Message{}, err
	}
	now := a.Now()
	msg := models.Message{TicketID: t.ID, AuthorKind: models.AuthorStaff, AuthorStaffID: &u.ID, Body: body,
		IsInternal: in.Internal, CreatedAt: now, Attachments: files}
	if body != "" {
		msg.BodyHTML = string(RenderMarkdown(body))
	}
	var publicChange bool
	var notify *int64
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		if in.ReplyToID != 0 {
			q, err := tx.Tickets.MessageByID(ctx, in.ReplyToID)
			if err != nil || q.TicketID != t.ID {
				return models.Invalid("reply_to", "error.reply_to")
			}
			msg.ReplyToID = &q.ID
		}
		var err error
		if t, publicChange, notify, err = a.applyChange(ctx, tx, u, t.ID, in.Change); err != nil {
			return err
		}
		var c models.Contact
		if t.ContactID != nil {
			if c, err = tx.Contacts.ByID(ctx, *t.ContactID); err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
		}
		th, err := a.replyThread(ctx, tx, u, t, in, c, now)
		if err != nil {
			return err
		}
		msg.ThreadID = th.ID
		if err := tx.Tickets.AddMessage(ctx, &msg); err != nil {
			return err
		}
		if in.Internal || c.ID == 0 || !c.Active {
			return nil // a deleted or disabled contact gets no mail; the reply still stands
		}
		return a.mailReply(ctx, tx, p, u, t, c, th.Channel, body)
	})
	if err != nil {
		a.discard(ctx, files)
		return models.Message{}, err
	}
	a.publishChange(ctx, t, !in.Internal || publicChange, notify)
	return msg, nil
}

// replyThread picks the thread a desk message goes on: the latest, unless a public reply asks
// for another channel (then a new thread on it, with a timeline event), or there is none.
func (a *App) replyThread(ctx context.Context, tx *models.Stores, u models.StaffUser, t models.Ticket, in DeskReplyInput,
	c models.Contact, now time.Time) (models.Thread, error) {
	th, err := tx.Tickets.LatestThread(ctx, t.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return th, err
	}
	want := in.Channel
	if in.Internal || want == "" {
		if err == nil {
			return th, nil
		}
		want = t.SourceChannel
	}
	if err == nil && th.Channel == want {
		return th, nil
	}
	if err == nil && !slices.Contains(ReplyChannels(t, th.Channel, c.Email), want) {
		return th, models.Invalid("channel", "error.channel")
	}
	next := models.Thread{TicketID: t.ID, Channel: want, CreatedAt: now, LastMessageAt: now}
	if want == models.ChannelEmail {
		if in, err := tx.Inboxes.FirstActive(ctx, models.ChannelEmail); err == nil {
			next.InboxID = &in.ID
		}
	}
	if err := tx.Tickets.CreateThread(ctx, &next); err != nil {
		return next, err
	}
	if th.ID == 0 {
		return next, nil
	}
	return next, tx.Desk.AddEvents(ctx, []models.TicketEvent{{TicketID: t.ID, Kind: models.EventChannel, ActorStaffID: &u.ID,
		Data: models.Props{"from": string(th.Channel), "to": string(want)}, CreatedAt: now}})
}

// mailReply e-mails a public reply to the contact: the message itself on the e-mail channel,
// a notice with a link to the portal otherwise (T-11).
func (a *App) mailReply(ctx context.Context, tx *models.Stores, p models.PortalSettings, u models.StaffUser, t models.Ticket,
	c models.Contact, ch models.Channel, body string) error {
	lang := c.Language
	if lang == "" {
		lang = p.Language
	}
	vars := map[string]string{
		"Name": c.Name, "Agent": u.Name, "Ref": t.Ref(), "Subject": t.Subject, "Portal": p.Title,
		"Link": a.PortalLink(p, "/tickets/"+t.Ref()),
	}
	kind := "agent_reply"
	if ch == models.ChannelEmail {
		kind, vars["Body"] = "agent_message", body
	}
	return a.mailWith(ctx, tx, lang, c.Email, kind, vars)
}

// notifyOwner tells a ticket's owner that the customer wrote (D-9), in the caller's
// transaction.
func (a *App) notifyOwner(ctx context.Context, tx *models.Stores, t models.Ticket, messageID int64, at time.Time) error {
	if t.OwnerID == nil {
		return nil
	}
	return tx.Desk.Notify(ctx, &models.StaffNotification{StaffID: *t.OwnerID, TicketID: t.ID, MessageID: &messageID,
		Kind: "message", CreatedAt: at})
}

// publishChange announces a ticket change to desk pages, to customers only when they see it
// (a public message, the status), and to the staff user it notified, if any: one NOTIFY.
func (a *App) publishChange(ctx context.Context, t models.Ticket, public bool, notified *int64) {
	pubs := []Publication{deskPublication(t)}
	if public {
		pubs = append(pubs, ticketPublication(t, EventTicketUpdated))
	}
	a.publishEach(ctx, append(pubs, staffPublications(notified)...)...)
}

// deskPublication tells desk pages (the queue and the ticket's page) that the ticket changed.
func deskPublication(t models.Ticket) Publication {
	return Publication{Topics: []string{"queue", "desk:" + t.Ref()}, Event: Event{Name: EventTicketUpdated, Ref: t.Ref()}}
}

// staffPublications tell one staff user's pages that they have a new notification; none for nil.
func staffPublications(staffID *int64) []Publication {
	if staffID == nil {
		return nil
	}
	return []Publication{{Topics: []string{StaffTopic(*staffID)}, Event: Event{Name: "notification", Ref: strconv.FormatInt(*staffID, 10)}}}
}

// StaffTopic is the live topic of one staff user's notifications.
func StaffTopic(id int64) string { return "staff:" + strconv.FormatInt(id, 10) }

// publishEach sends events to their topics; a lost event only delays a refresh, so failures
// are logged.
func (a *App) publishEach(ctx context.Context, pubs ...Publication) {
	if a.Broker == nil || len(pubs) == 0 {
		return
	}
	if err := a.Broker.PublishEach(ctx, pubs...); err != nil {
		a.Log.Warn("publish live event", "events", len(pubs), "err", err)
	}
}

func sameID(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// KBLink is a published knowledge-base article's title and absolute public address, for
// links agents insert into replies (D-5).
type KBLink struct {
	ID         int64
	Title, URL string
}

// KBArticleLink returns a published article's link; drafts are ErrNotFound.
func (a *App) KBArticleLink(ctx context.Context, id int64) (KBLink, error) {
	art, err := a.Stores.KB.ArticleByID(ctx, id)
	if err != nil {
		return KBLink{}, err
	}
	if !art.IsPublished() {
		return KBLink{}, models.ErrNotFound
	}
	cat, err := a.Stores.KB.CategoryByID(ctx, art.CategoryID)
	if err != nil {
		return KBLink{}, err
	}
	return KBLink{ID: art.ID, Title: art.Title, URL: a.kbURL(cat.Slug, art.Slug)}, nil
}

// KBLinks searches published articles and returns their links (the desk's article picker).
func (a *App) KBLinks(ctx context.Context, q string, limit int) ([]KBLink, error) {
	res, err := a.SearchKB(ctx, q, limit, 0, true)
	if err != nil {
		return nil, err
	}
	out := make([]KBLink, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, KBLink{ID: h.ID, Title: h.Title, URL: a.kbURL(h.CategorySlug, h.Slug)})
	}
	return out, nil
}

// kbURL is an article's absolute address, from configuration only.
func (a *App) kbURL(category, slug string) string {
	return a.Opts.BaseURL + "/kb/" + url.PathEscape(category) + "/" + url.PathEscape(slug)
}
