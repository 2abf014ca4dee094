package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// supportWorld is an App with a pipeline whose first stage (by position) is closed, an inbox,
// Acme with its contact Ann, and a support form using every kind of field.
type supportWorld struct {
	a       *app.App
	db      *models.DB
	blobDir string
	pipe    models.Pipeline
	inbox   models.Inbox
	ann     models.Contact
	p       models.PortalSettings
}

func newSupportWorld(t *testing.T, db *models.DB) *supportWorld {
	t.Helper()
	ctx := context.Background()
	w := &supportWorld{db: db, blobDir: t.TempDir()}
	storage, err := app.NewDiskStorage(w.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storage.Close() })
	w.a = app.New(models.NewStores(db), storage, slog.New(slog.NewTextHandler(io.Discard, nil)),
		app.Options{BaseURL: "https://help.example.com"})
	// The default pipeline, made first, so that the form's own choice is what is tested.
	def := models.Pipeline{Name: "Default", Stages: []models.PipelineStage{{Name: "Open", Position: 1}}}
	w.pipe = models.Pipeline{Name: "Hardware", Stages: []models.PipelineStage{
		{Name: "Archived", Position: 0, IsClosed: true}, {Name: "New", Position: 1}, {Name: "Done", Position: 2, IsClosed: true}}}
	for _, p := range []*models.Pipeline{&def, &w.pipe} {
		if err := w.a.Stores.Pipelines.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	w.inbox = models.Inbox{Name: "Portal", Channel: models.ChannelPortal, Active: true}
	if err := w.a.Stores.Inboxes.Create(ctx, &w.inbox); err != nil {
		t.Fatal(err)
	}
	acme := models.Company{Name: "Acme"}
	if err := w.a.Stores.Companies.Create(ctx, &acme); err != nil {
		t.Fatal(err)
	}
	w.ann = models.Contact{Email: "ann@acme.example", Name: "Ann", Active: true, CompanyID: &acme.ID}
	if err := w.a.Stores.Contacts.Create(ctx, &w.ann); err != nil {
		t.Fatal(err)
	}
	w.p = models.DefaultPortalSettings()
	w.p.SupportForm = models.SupportFormSettings{PipelineID: w.pipe.ID, InboxID: w.inbox.ID,
		Category: models.FieldRequired, CategoryChoices: []string{"Billing", "Hardware"}, ShowPriority: true,
		Fields: []models.CustomField{
			{Key: "equipment", Label: "Equipment", Type: models.CustomText, Required: true},
			{Key: "site", Label: "Site", Type: models.CustomDropdown, Choices: []string{"North", "South"}},
			{Key: "notes", Label: "Notes", Type: models.CustomTextarea},
		}}
	return w
}

func (w *supportWorld) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Gorm.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// blobs counts the finished files in the attachment folder.
func (w *supportWorld) blobs(t *testing.T) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(w.blobDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// nothingStored checks that a refused submission left no trace.
func (w *supportWorld) nothingStored(t *testing.T) {
	t.Helper()
	for _, table := range []string{"tickets", "threads", "messages", "attachments", "outbox_emails"} {
		if n := w.count(t, "SELECT COUNT(*) FROM "+table); n != 0 {
			t.Errorf("%s: %d rows after a refused submission", table, n)
		}
	}
	if n := w.blobs(t); n != 0 {
		t.Errorf("%d blobs left after a refused submission", n)
	}
}

func validSubmission() app.TicketSubmission {
	return app.TicketSubmission{Subject: "  Printer on fire  ", Description: "It smokes.", Category: "Hardware",
		Priority: "high", Custom: map[string]string{"equipment": "HP 4000", "site": "North", "notes": ""}, Lang: "en"}
}

// zeros is an endless reader of zero bytes: large files without the memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func quiet(t *testing.T, s *app.Subscription) {
	t.Helper()
	select {
	case ev := <-s.C():
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(150 * time.Millisecond):
	}
}

func TestSubmitTicket(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSupportWorld(t, db)
		ctx := context.Background()
		contactTopic := "contact:" + strconv.FormatInt(w.ann.ID, 10)
		companyTopic := "company:" + strconv.FormatInt(*w.ann.CompanyID, 10)
		sub := w.a.Broker.Subscribe([]string{contactTopic, companyTopic}, 8)
		defer sub.Close()

		in := validSubmission()
		pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 5000)...)
		// The browser's path is dropped and so is a right-to-left override, which could make a name
		// read as another ("report.pdf" shown as "repfdp.tro").
		in.Files = []app.Upload{upload("C:\\Users\\ann\\rep\u202eort.pdf", int64(len(pdf)), bytes.NewReader(pdf))}
		tk, err := w.a.SubmitTicket(ctx, w.p, w.ann, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.a.Stores.Tickets.ByID(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case got.Subject != "Printer on fire" || got.Description != "It smokes.":
			t.Errorf("subject/description = %q / %q", got.Subject, got.Description)
		case got.SourceChannel != models.ChannelPortal || got.Priority != models.PriorityHigh || got.Category != "Hardware":
			t.Errorf("channel/priority/category = %s/%s/%s", got.SourceChannel, got.Priority, got.Category)
		case got.ContactID == nil || *got.ContactID != w.ann.ID || got.CompanyID == nil || *got.CompanyID != *w.ann.CompanyID:
			t.Errorf("contact/company = %v/%v", got.ContactID, got.CompanyID)
		case got.PipelineID != w.pipe.ID || got.StageID != w.pipe.Stages[1].ID || got.IsClosed:
			t.Errorf("pipeline/stage/closed = %d/%d/%v, want %d/%d/false", got.PipelineID, got.StageID, got.IsClosed, w.pipe.ID, w.pipe.Stages[1].ID)
		case got.Properties["equipment"] != "HP 4000" || got.Properties["site"] != "North" || len(got.Properties) != 2:
			t.Errorf("properties = %v", got.Properties)
		}
		th, err := w.a.Stores.Tickets.LatestThread(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if th.Channel != models.ChannelPortal || th.InboxID == nil || *th.InboxID != w.inbox.ID {
			t.Errorf("thread = %+v", th)
		}
		msgs, err := w.a.Stores.Tickets.Messages(ctx, th.ID, true)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("messages = %d, %v", len(msgs), err)
		}
		m := msgs[0]
		if m.AuthorKind != models.AuthorContact || m.AuthorContactID == nil || *m.AuthorContactID != w.ann.ID || m.Body != "It smokes." {
			t.Errorf("message = %+v", m)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != "report.pdf" || m.Attachments[0].ContentType != "application/pdf" ||
			m.Attachments[0].Size != int64(len(pdf)) || len(m.Attachments[0].PublicID) != 32 {
			t.Errorf("attachments = %+v", m.Attachments)
		}
		if w.blobs(t) != 1 {
			t.Errorf("blobs = %d, want 1", w.blobs(t))
		}
		var mail models.OutboxEmail
		if err := db.Gorm.Where("kind = ?", "ticket_created").Take(&mail).Error; err != nil {
			t.Fatalf("confirmation e-mail: %v", err)
		}
		link := "https://help.example.com/portal/tickets/" + tk.Ref()
		if mail.ToAddr != w.ann.Email || !strings.Contains(mail.Subject, tk.Ref()) || !strings.Contains(mail.TextBody, link) {
			t.Errorf("e-mail = %q %q\n%s", mail.ToAddr, mail.Subject, mail.TextBody)
		}
		for range 2 {
			select {
			case ev := <-sub.C():
				if ev.Name != "ticket-created" || ev.Ref != tk.Ref() {
					t.Errorf("event = %+v", ev)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("no ticket-created event on the contact's and the company's topics")
			}
		}

		// No inbox on the form: the portal's default inbox; no description: the subject speaks.
		w.p.SupportForm.InboxID, w.p.DefaultInboxID = 0, w.inbox.ID
		w.p.SupportForm.Description = models.FieldOptional
		in = validSubmission()
		in.Description = ""
		tk2, err := w.a.SubmitTicket(ctx, w.p, w.ann, in)
		if err != nil {
			t.Fatal(err)
		}
		th2, _ := w.a.Stores.Tickets.LatestThread(ctx, tk2.ID)
		if th2.InboxID == nil || *th2.InboxID != w.inbox.ID {
			t.Errorf("default inbox not used: %+v", th2)
		}
	})
}

func TestSubmitTicketRefusesBadInput(t *testing.T) {
	cases := []struct {
		name, field string
		edit        func(*app.TicketSubmission, *models.SupportFormSettings)
	}{
		{"no subject", "subject", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Subject = "  " }},
		{"long subject", "subject", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			in.Subject = strings.Repeat("a", app.MaxTicketSubject+1)
		}},
		{"subject with line break", "subject", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Subject = "a\r\nBcc: x" }},
		{"no description", "description", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Description = "" }},
		{"long description", "description", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			in.Description = strings.Repeat("a", app.MaxTicketDescription+1)
		}},
		{"no category", "category", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Category = "" }},
		{"unknown category", "category", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Category = "Gossip" }},
		{"unknown priority", "priority", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Priority = "asap" }},
		{"required custom field", "custom_equipment", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			in.Custom["equipment"] = ""
		}},
		{"dropdown value not a choice", "custom_site", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			in.Custom["site"] = "East"
		}},
		{"extra custom key", "form", func(in *app.TicketSubmission, _ *models.SupportFormSettings) { in.Custom["owner_id"] = "1" }},
		{"too many files", "attachments", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			for range app.MaxTicketFiles + 1 {
				in.Files = append(in.Files, upload("a.txt", 1, strings.NewReader("a")))
			}
		}},
		{"attachments not allowed", "attachments", func(in *app.TicketSubmission, f *models.SupportFormSettings) {
			f.DisableAttachments = true
			in.Files = []app.Upload{upload("a.txt", 1, strings.NewReader("a"))}
		}},
		{"declared too large", "attachments", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			in.Files = []app.Upload{upload("big.bin", app.MaxTicketFileBytes+1, strings.NewReader("a"))}
		}},
		{"content larger than declared", "attachments", func(in *app.TicketSubmission, _ *models.SupportFormSettings) {
			in.Files = []app.Upload{upload("ok.txt", 1, strings.NewReader("fine")),
				upload("liar.bin", 10, io.LimitReader(zeros{}, app.MaxTicketFileBytes+1))}
		}},
	}
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSupportWorld(t, db)
		ctx := context.Background()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in, p := validSubmission(), w.p
				p.SupportForm.Fields = append([]models.CustomField(nil), w.p.SupportForm.Fields...)
				tc.edit(&in, &p.SupportForm)
				_, err := w.a.SubmitTicket(ctx, p, w.ann, in)
				var ve *models.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("SubmitTicket = %v, want a validation error", err)
				}
				found := false
				for _, e := range flatten(err) {
					if errors.As(e, &ve) && ve.Field == tc.field {
						found = true
					}
				}
				if !found {
					t.Errorf("errors %v, want one on %s", err, tc.field)
				}
				w.nothingStored(t)
			})
		}
	})
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// A submission whose transaction fails (here: the confirmation e-mail cannot be addressed)
// leaves no ticket, no e-mail, no blob and sends no live event.
func TestSubmitTicketRollsBack(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSupportWorld(t, db)
		ctx := context.Background()
		sub := w.a.Broker.Subscribe([]string{"contact:" + strconv.FormatInt(w.ann.ID, 10)}, 8)
		defer sub.Close()
		broken := w.ann
		broken.Email = "not an address"
		in := validSubmission()
		in.Files = []app.Upload{upload("a.txt", 5, strings.NewReader("hello"))}
		if _, err := w.a.SubmitTicket(ctx, w.p, broken, in); err == nil {
			t.Fatal("SubmitTicket succeeded without a deliverable address")
		}
		w.nothingStored(t)
		quiet(t, sub)
	})
}

func TestSaveSupportForm(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSupportWorld(t, db)
		ctx := context.Background()
		if err := w.a.SaveSupportForm(ctx, w.p.SupportForm); err != nil {
			t.Fatal(err)
		}
		p, err := w.a.Portal(ctx)
		if err != nil || p.SupportForm.PipelineID != w.pipe.ID || len(p.SupportForm.Fields) != 3 {
			t.Fatalf("saved = %+v, %v", p.SupportForm, err)
		}
		var ve *models.ValidationError
		bad := w.p.SupportForm
		bad.PipelineID = 999999
		if err := w.a.SaveSupportForm(ctx, bad); !errors.As(err, &ve) || ve.Field != "pipeline_id" {
			t.Errorf("missing pipeline: %v", err)
		}
		bad = w.p.SupportForm
		bad.InboxID = 999999
		if err := w.a.SaveSupportForm(ctx, bad); !errors.As(err, &ve) || ve.Field != "inbox_id" {
			t.Errorf("missing inbox: %v", err)
		}
	})
}

// upload is a file as the support form's handler passes it, read from r; size is what the
// client declared.
func upload(name string, size int64, r io.Reader) app.Upload {
	return app.Upload{Name: name, Size: size, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}
