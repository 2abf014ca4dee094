package app

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"portico/models"
)

// Limits of a support form submission (SPEC T-9, T-6).
const (
	MaxTicketSubject     = 200    // characters
	MaxTicketDescription = 20_000 // characters
	MaxCustomText        = 1_000  // characters of a one-line custom answer
	MaxCustomTextarea    = 10_000 // characters of a multi-line custom answer
	MaxTicketFiles       = 5
	MaxTicketFileBytes   = MaxAttachmentBytes // each file, as on a reply
)

// TicketSubmission is what the support form submits. Only these values reach the ticket: the
// contact, company, pipeline, stage, owner and inbox come from the session and the settings.
type TicketSubmission struct {
	Subject     string
	Description string
	Category    string
	Priority    string            // empty: normal
	Custom      map[string]string // custom field key → answer; only configured keys are accepted
	Files       []Upload          // stored as a reply's files are (storeUploads)
	Lang        string            // language of the page, used for the confirmation e-mail
}

// SaveSupportForm checks and stores the support form's configuration. The chosen pipeline and
// inbox must exist.
func (a *App) SaveSupportForm(ctx context.Context, f models.SupportFormSettings) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.PipelineID != 0 {
		if _, err := a.Stores.Pipelines.ByID(ctx, f.PipelineID); errors.Is(err, models.ErrNotFound) {
			return models.Invalid("pipeline_id", "error.supportform_pipeline")
		} else if err != nil {
			return err
		}
	}
	if f.InboxID != 0 {
		inboxes, err := a.Stores.Inboxes.SupportFormInboxes(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, in := range inboxes {
			found = found || in.ID == f.InboxID
		}
		if !found {
			return models.Invalid("inbox_id", "error.supportform_inbox")
		}
	}
	p, err := a.Portal(ctx)
	if err != nil {
		return err
	}
	p.SupportForm = f
	return a.SavePortal(ctx, p)
}

// SubmitTicket creates a ticket from the portal's support form for contact c: the ticket in
// the form's pipeline at its first open stage, its first thread on the portal channel and the
// first message with the attached files, and a confirmation e-mail to the contact, all in one
// transaction. Live events go out after commit. Invalid input is returned as one or more
// *models.ValidationError joined with errors.Join (errors.As finds the first) and stores
// nothing; files are stored before the transaction and deleted again if it fails.
func (a *App) SubmitTicket(ctx context.Context, p models.PortalSettings, c models.Contact, in TicketSubmission) (models.Ticket, error) {
	if c.ID == 0 {
		return models.Ticket{}, ErrForbidden
	}
	form := p.SupportForm.Normalized()
	clean, err := checkTicketSubmission(form, in)
	if err != nil {
		return models.Ticket{}, err
	}
	pipe, err := a.formPipeline(ctx, form)
	if err != nil {
		return models.Ticket{}, err
	}
	stage, ok := pipe.FirstOpenStage()
	if !ok {
		return models.Ticket{}, errors.New("app: the support form's pipeline has no open stage")
	}
	files, err := a.storeUploads(ctx, in.Files)
	var ve *models.ValidationError
	if errors.As(err, &ve) && ve.Field == "files" { // a file larger than it declared
		err = models.Invalid("attachments", "error.supportform_file_too_large")
	}
	if err != nil {
		return models.Ticket{}, err
	}
	now := a.Now()
	t := models.Ticket{Subject: clean.Subject, Description: clean.Description, PipelineID: pipe.ID, StageID: stage.ID,
		Priority: models.Priority(clean.Priority), Category: clean.Category, SourceChannel: models.ChannelPortal,
		ContactID: &c.ID, CompanyID: c.CompanyID, Properties: clean.Custom, CreatedAt: now, UpdatedAt: now,
		LastActivityAt: now}
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		if err := tx.Tickets.Create(ctx, &t); err != nil {
			return err
		}
		th := models.Thread{TicketID: t.ID, Channel: models.ChannelPortal, CreatedAt: now, LastMessageAt: now}
		if id := firstInboxID(form.InboxID, p.DefaultInboxID); id != 0 {
			th.InboxID = &id
		}
		if err := tx.Tickets.CreateThread(ctx, &th); err != nil {
			return err
		}
		body := clean.Description
		if body == "" {
			body = clean.Subject // an optional description left empty: the thread still says what it is about
		}
		m := models.Message{ThreadID: th.ID, TicketID: t.ID, AuthorKind: models.AuthorContact, AuthorContactID: &c.ID,
			Body: body, CreatedAt: now, Attachments: files}
		if err := tx.Tickets.AddMessage(ctx, &m); err != nil {
			return err
		}
		return a.SendEmail(ctx, tx, a.ticketCreatedEmail(p, c, t, in.Lang))
	})
	if err != nil {
		a.discard(ctx, files)
		return models.Ticket{}, err
	}
	a.publishTicketCreated(ctx, c, t.Ref())
	return t, nil
}

// checkTicketSubmission validates a submission against the form and returns it cleaned: trimmed,
// defaults filled in, custom answers as ticket properties. Every bad field is reported.
func checkTicketSubmission(form models.SupportFormSettings, in TicketSubmission) (TicketSubmission, error) {
	var errs []error
	bad := func(field, code string) { errs = append(errs, models.Invalid(field, code)) }
	out := TicketSubmission{Subject: strings.TrimSpace(in.Subject), Description: strings.TrimSpace(in.Description),
		Custom: models.Props{}}
	switch {
	case out.Subject == "":
		bad("subject", "error.supportform_required")
	case !utf8.ValidString(out.Subject) || utf8.RuneCountInString(out.Subject) > MaxTicketSubject || hasControl(out.Subject):
		bad("subject", "error.supportform_subject")
	}
	switch {
	case out.Description == "" && form.Description == models.FieldRequired:
		bad("description", "error.supportform_required")
	case !utf8.ValidString(out.Description) || utf8.RuneCountInString(out.Description) > MaxTicketDescription:
		bad("description", "error.supportform_description")
	}
	if form.Category != models.FieldHidden {
		out.Category = strings.TrimSpace(in.Category)
		switch {
		case out.Category == "" && form.Category == models.FieldRequired:
			bad("category", "error.supportform_required")
		case out.Category != "" && !models.HasChoice(form.CategoryChoices, out.Category):
			bad("category", "error.supportform_choice_unknown")
		}
	}
	out.Priority = string(models.PriorityNormal)
	if form.ShowPriority && in.Priority != "" {
		if !models.Priority(in.Priority).Valid() {
			bad("priority", "error.supportform_choice_unknown")
		}
		out.Priority = in.Priority
	}
	for key := range in.Custom {
		if _, ok := form.Field(key); !ok {
			bad("form", "error.supportform_unknown_field")
			break
		}
	}
	for _, cf := range form.Fields {
		v := strings.TrimSpace(in.Custom[cf.Key])
		limit := MaxCustomText
		if cf.Type == models.CustomTextarea {
			limit = MaxCustomTextarea
		}
		switch {
		case v == "" && cf.Required:
			bad("custom_"+cf.Key, "error.supportform_required")
		case v == "":
		case !utf8.ValidString(v) || utf8.RuneCountInString(v) > limit ||
			(cf.Type != models.CustomTextarea && strings.ContainsAny(v, "\r\n")):
			bad("custom_"+cf.Key, "error.supportform_custom")
		case cf.Type == models.CustomDropdown && !models.HasChoice(cf.Choices, v):
			bad("custom_"+cf.Key, "error.supportform_choice_unknown")
		default:
			out.Custom[cf.Key] = v
		}
	}
	switch {
	case len(in.Files) > 0 && !form.AttachmentsAllowed():
		bad("attachments", "error.supportform_no_attachments")
	case len(in.Files) > MaxTicketFiles:
		bad("attachments", "error.supportform_too_many_files")
	}
	for _, f := range in.Files {
		if f.Size > MaxTicketFileBytes {
			bad("attachments", "error.supportform_file_too_large")
			break
		}
	}
	return out, errors.Join(errs...)
}

// formPipeline is the form's pipeline, or the default one when none is chosen or the chosen
// one no longer exists.
func (a *App) formPipeline(ctx context.Context, form models.SupportFormSettings) (models.Pipeline, error) {
	if form.PipelineID != 0 {
		pipe, err := a.Stores.Pipelines.ByID(ctx, form.PipelineID)
		if err == nil {
			return pipe, nil
		}
		if !errors.Is(err, models.ErrNotFound) {
			return pipe, err
		}
		a.Log.Warn("support form pipeline missing; using the default", "pipeline_id", form.PipelineID)
	}
	return a.Stores.Pipelines.Default(ctx)
}

// ticketCreatedEmail is the confirmation sent to the contact, in the page's language (else the
// contact's, else the portal's).
func (a *App) ticketCreatedEmail(p models.PortalSettings, c models.Contact, t models.Ticket, lang string) Email {
	for _, l := range []string{lang, c.Language, p.Language} {
		if a.Tr.Supports(l) {
			lang = l
			break
		}
	}
	if !a.Tr.Supports(lang) {
		lang = "en"
	}
	name := c.Name
	if name == "" {
		name = c.Email
	}
	vars := map[string]string{"Name": name, "Ref": t.Ref(), "Subject": t.Subject, "Portal": p.Title,
		"Link": a.PortalLink(p, "/tickets/"+t.Ref())}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	data := make([]any, 0, 2*len(vars))
	for _, k := range keys {
		data = append(data, k, vars[k])
	}
	subject := a.Tr.T(lang, "supportform.mail.subject", data...)
	if utf8.RuneCountInString(subject) > maxMailSubject {
		subject = string([]rune(subject)[:maxMailSubject])
	}
	return Email{To: c.Email, Subject: subject, Text: a.Tr.T(lang, "supportform.mail.body", data...),
		Kind: "ticket_created"}
}

// publishTicketCreated tells the contact's (and their company's) open portal pages that a
// ticket exists. A lost event only delays a listing refresh, so failures are logged.
func (a *App) publishTicketCreated(ctx context.Context, c models.Contact, ref string) {
	topics := []string{"contact:" + strconv.FormatInt(c.ID, 10), "queue"}
	if c.CompanyID != nil {
		topics = append(topics, "company:"+strconv.FormatInt(*c.CompanyID, 10))
	}
	for _, topic := range topics {
		if err := a.Broker.Publish(ctx, topic, Event{Name: "ticket-created", Ref: ref}); err != nil {
			a.Log.Warn("publish ticket-created", "topic", topic, "err", err)
		}
	}
}

func firstInboxID(ids ...int64) int64 {
	for _, id := range ids {
		if id != 0 {
			return id
		}
	}
	return 0
}
