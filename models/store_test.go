package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// seedPipeline creates the default pipeline with one open and one closed stage.
func seedPipeline(t *testing.T, s *models.Stores) models.Pipeline {
	t.Helper()
	p := models.Pipeline{Name: "Support", Stages: []models.PipelineStage{
		{Name: "New", Position: 1}, {Name: "Solved", Position: 2, IsClosed: true},
	}}
	if err := s.Pipelines.Create(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStaffEmailUniqueCaseInsensitive(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		u := models.StaffUser{Email: "Ada@Example.com", Name: "Ada", Role: models.RoleAdmin, PasswordHash: "x", Active: true}
		if err := s.Staff.Create(ctx, &u); err != nil {
			t.Fatal(err)
		}
		dup := models.StaffUser{Email: "ada@example.COM ", Name: "Other", Role: models.RoleAgent, PasswordHash: "x", Active: true}
		if err := s.Staff.Create(ctx, &dup); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate e-mail: err = %v, want ErrConflict", err)
		}
		got, err := s.Staff.ByEmail(ctx, "ADA@example.com")
		if err != nil || got.ID != u.ID || got.Email != "ada@example.com" {
			t.Fatalf("ByEmail = %+v, %v", got, err)
		}
		if _, err := s.Staff.ByID(ctx, 999999); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing id: err = %v, want ErrNotFound", err)
		}
		bad := models.StaffUser{Email: "x@example.com", Role: "root", PasswordHash: "x"}
		var ve *models.ValidationError
		if err := s.Staff.Create(ctx, &bad); !errors.As(err, &ve) || ve.Field != "role" {
			t.Fatalf("bad role: err = %v", err)
		}
		n, err := s.Staff.CountAdmins(ctx)
		if err != nil || n != 1 {
			t.Fatalf("CountAdmins = %d, %v", n, err)
		}
	})
}

func TestTicketNumbersAndActivity(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		p := seedPipeline(t, s)
		open, _ := p.FirstOpenStage()
		c := models.Contact{Email: "c@example.com", Name: "C", Active: true}
		if err := s.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
		mk := func(subject string) *models.Ticket {
			return &models.Ticket{Subject: subject, PipelineID: p.ID, StageID: open.ID, SourceChannel: models.ChannelPortal,
				ContactID: &c.ID, CreatedAt: t0, UpdatedAt: t0, LastActivityAt: t0}
		}
		a := mk("first")
		if err := s.Tickets.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		batch := []*models.Ticket{mk("b1"), mk("b2"), mk("b3")}
		if err := s.Tickets.CreateBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if a.Number != 1001 || a.Ref() != "T-1001" {
			t.Fatalf("first ticket number = %d (%s), want 1001", a.Number, a.Ref())
		}
		for i, b := range batch {
			if b.Number != a.Number+int64(i)+1 || b.ID == 0 {
				t.Fatalf("batch[%d] = number %d id %d", i, b.Number, b.ID)
			}
		}
		got, err := s.Tickets.ByNumber(ctx, 1003)
		if err != nil || got.Subject != "b2" || got.Priority != models.PriorityNormal {
			t.Fatalf("ByNumber(1003) = %+v, %v", got, err)
		}

		th := models.Thread{TicketID: a.ID, Channel: models.ChannelPortal, CreatedAt: t0}
		if err := s.Tickets.CreateThread(ctx, &th); err != nil {
			t.Fatal(err)
		}
		t1 := t0.Add(time.Hour)
		msg := models.Message{ThreadID: th.ID, TicketID: a.ID, AuthorKind: models.AuthorContact, AuthorContactID: &c.ID,
			Body: "hello", CreatedAt: t1, Attachments: []models.Attachment{{PublicID: "p1", Filename: "a.txt", Size: 3,
				ContentType: "text/plain", StorageKey: "k1", SHA256: "abc", CreatedAt: t1}}}
		if err := s.Tickets.AddMessage(ctx, &msg); err != nil {
			t.Fatal(err)
		}
		note := models.Message{ThreadID: th.ID, TicketID: a.ID, AuthorKind: models.AuthorStaff, Body: "internal canary",
			IsInternal: true, CreatedAt: t1.Add(time.Hour)}
		if err := s.Tickets.AddMessage(ctx, &note); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Tickets.ByID(ctx, a.ID)
		if !got.LastActivityAt.Equal(t1) {
			t.Fatalf("last activity = %v, want %v (the public message; notes don't count)", got.LastActivityAt, t1)
		}
		public, err := s.Tickets.Messages(ctx, th.ID, false)
		if err != nil || len(public) != 1 || public[0].Body != "hello" || len(public[0].Attachments) != 1 {
			t.Fatalf("customer messages = %+v, %v", public, err)
		}
		if a := public[0].Attachments[0]; a.MessageID == nil || *a.MessageID != msg.ID || a.TicketID == nil || *a.TicketID != got.ID {
			t.Fatalf("attachment links = %+v", a)
		}
		all, _ := s.Tickets.Messages(ctx, th.ID, true)
		if len(all) != 2 || !all[1].IsInternal {
			t.Fatalf("staff messages = %d", len(all))
		}
		latest, err := s.Tickets.LatestThread(ctx, a.ID)
		if err != nil || latest.ID != th.ID || !latest.LastMessageAt.Equal(note.CreatedAt) {
			t.Fatalf("latest thread = %+v, %v", latest, err)
		}
		if _, err := s.Tickets.LatestThread(ctx, batch[0].ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("ticket without thread: %v", err)
		}
	})
}

func TestPipelineRules(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		var ve *models.ValidationError
		closedOnly := models.Pipeline{Name: "Broken", Stages: []models.PipelineStage{{Name: "Done", IsClosed: true}}}
		if err := s.Pipelines.Create(ctx, &closedOnly); !errors.As(err, &ve) {
			t.Fatalf("pipeline without open stage: %v", err)
		}
		p := seedPipeline(t, s)
		second := models.Pipeline{Name: "Billing", Stages: []models.PipelineStage{{Name: "Open", Position: 1}}}
		if err := s.Pipelines.Create(ctx, &second); err != nil {
			t.Fatal(err)
		}
		def, err := s.Pipelines.Default(ctx)
		if err != nil || def.ID != p.ID || len(def.Stages) != 2 || def.Stages[0].Name != "New" {
			t.Fatalf("default = %+v, %v", def, err)
		}
		if second.IsDefault {
			t.Fatal("second pipeline became default")
		}
		all, err := s.Pipelines.All(ctx)
		if err != nil || len(all) != 2 || all[0].ID != p.ID {
			t.Fatalf("all = %d, %v", len(all), err)
		}
	})
}

func TestSettingsAndConsent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		type doc struct{ Title string }
		var d doc
		if err := s.Settings.Get(ctx, "portal", &d); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing setting: %v", err)
		}
		if err := s.Settings.Put(ctx, "portal", doc{"One"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Settings.Put(ctx, "portal", doc{"Two"}); err != nil {
			t.Fatal(err)
		}
		stored, err := s.Settings.PutIfAbsent(ctx, "portal", doc{"Three"})
		if err != nil || stored {
			t.Fatalf("PutIfAbsent over existing = %v, %v", stored, err)
		}
		if err := s.Settings.Get(ctx, "portal", &d); err != nil || d.Title != "Two" {
			t.Fatalf("setting = %+v, %v", d, err)
		}

		for _, n := range []string{"v1 notice", "v2 notice"} {
			if err := s.Consent.Publish(ctx, &models.ConsentText{Notice: n, CheckboxLabel: "I agree", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		cur, err := s.Consent.Current(ctx)
		if err != nil || cur.Version != 2 || cur.Notice != "v2 notice" {
			t.Fatalf("current consent = %+v, %v", cur, err)
		}
		c := models.Contact{Email: "r@example.com", Name: "R", Active: true}
		if err := s.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		rec := models.ConsentRecord{ContactID: c.ID, ConsentTextID: &cur.ID, Version: cur.Version, Notice: cur.Notice,
			CheckboxLabel: cur.CheckboxLabel, IP: "192.0.2.1", CreatedAt: time.Now()}
		if err := s.Consent.Record(ctx, &rec); err != nil {
			t.Fatal(err)
		}
		recs, err := s.Consent.ForContact(ctx, c.ID)
		if err != nil || len(recs) != 1 || recs[0].Notice != "v2 notice" || recs[0].IP != "192.0.2.1" {
			t.Fatalf("consent records = %+v, %v", recs, err)
		}
	})
}

func TestContactPropsAndLists(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		co := models.Company{Name: "Acme", Domain: "acme.example"}
		if err := s.Companies.Create(ctx, &co); err != nil {
			t.Fatal(err)
		}
		c := models.Contact{Email: "Eve@Acme.example", Name: "Eve", CompanyID: &co.ID, Active: true,
			Properties: models.Props{"equipment": "Press \"X\" 2000", "tier": "gold"}}
		if err := s.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Contacts.ByEmail(ctx, "eve@acme.example")
		if err != nil || got.Properties["equipment"] != `Press "X" 2000` || got.CompanyID == nil || *got.CompanyID != co.ID {
			t.Fatalf("contact = %+v, %v", got, err)
		}
		if got.CanSignIn() {
			t.Fatal("contact without password can sign in")
		}
		at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		if err := s.Contacts.SetPassword(ctx, c.ID, "hash", at); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Contacts.ByID(ctx, c.ID)
		if !got.CanSignIn() || got.EmailVerifiedAt == nil || !got.EmailVerifiedAt.Equal(at) {
			t.Fatalf("after SetPassword: %+v", got)
		}
		// A later password change keeps the first verification time.
		if err := s.Contacts.SetPassword(ctx, c.ID, "hash2", at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Contacts.ByID(ctx, c.ID)
		if !got.EmailVerifiedAt.Equal(at) {
			t.Fatalf("verification time moved to %v", got.EmailVerifiedAt)
		}
		l := models.ContactList{Name: "VIP", Kind: models.ListStatic}
		if err := s.Contacts.CreateList(ctx, &l); err != nil {
			t.Fatal(err)
		}
		for range 2 { // adding twice is harmless
			if err := s.Contacts.AddToList(ctx, l.ID, []int64{c.ID}, at); err != nil {
				t.Fatal(err)
			}
		}
		in, err := s.Contacts.InList(ctx, l.ID, c.ID)
		if err != nil || !in {
			t.Fatalf("InList = %v, %v", in, err)
		}
	})
}

func TestParseRef(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"T-1042", 1042, true},
		{"t-7", 7, true},
		{"1042", 1042, true},
		{" T-12 ", 12, true},
		{"T-0", 0, false},
		{"T--1", 0, false},
		{"1 OR 1=1", 0, false},
		{"T-99999999999999999999", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		got, err := models.ParseRef(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRef(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestTicketStageMustBelongToPipeline(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		p := seedPipeline(t, s)
		other := models.Pipeline{Name: "Other", Stages: []models.PipelineStage{{Name: "Open", Position: 1}}}
		if err := s.Pipelines.Create(ctx, &other); err != nil {
			t.Fatal(err)
		}
		var ve *models.ValidationError
		bad := &models.Ticket{Subject: "x", PipelineID: p.ID, StageID: other.Stages[0].ID, SourceChannel: models.ChannelAPI}
		if err := s.Tickets.Create(ctx, bad); !errors.As(err, &ve) || ve.Field != "stage" {
			t.Fatalf("foreign stage: err = %v", err)
		}
		closed := p.Stages[1]
		tk := &models.Ticket{Subject: "y", PipelineID: p.ID, StageID: closed.ID, SourceChannel: models.ChannelAPI, IsClosed: false}
		if err := s.Tickets.Create(ctx, tk); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Tickets.ByID(ctx, tk.ID)
		if !got.IsClosed {
			t.Fatal("IsClosed not taken from the closed stage")
		}
		if n, _ := s.Tickets.Count(ctx); n != 1 {
			t.Fatalf("tickets = %d, want 1 (the refused one must not be stored)", n)
		}
	})
}
