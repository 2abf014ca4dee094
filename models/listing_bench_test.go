package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// listingWorld is the benchmark shape: one company with 10,000 tickets, one contact of
// it owning 50, an agent owning a tenth, and one ticket with a thread of 200 messages.
type listingWorld struct {
	s       *models.Stores
	contact models.Contact
	company models.Company
	agent   models.StaffUser
	long    models.Ticket
}

func newListingWorld(b *testing.B, db *models.DB) listingWorld {
	b.Helper()
	ctx := context.Background()
	s := models.NewStores(db)
	w := listingWorld{s: s}
	pipe := models.Pipeline{Name: "Support", Stages: []models.PipelineStage{{Name: "New", Position: 1}, {Name: "Done", Position: 2, IsClosed: true}}}
	must(b, s.Pipelines.Create(ctx, &pipe))
	w.company = models.Company{Name: "Big Co"}
	must(b, s.Companies.Create(ctx, &w.company))
	w.agent = models.StaffUser{Email: "agent@bench.example", Name: "Agent", Role: models.RoleAgent, PasswordHash: "x", Active: true}
	must(b, s.Staff.Create(ctx, &w.agent))
	others := make([]models.Contact, 20)
	for i := range others {
		others[i] = models.Contact{Email: fmt.Sprintf("c%d@bench.example", i), Name: fmt.Sprintf("C %d", i), CompanyID: &w.company.ID, Active: true}
		must(b, s.Contacts.Create(ctx, &others[i]))
	}
	w.contact = others[0]
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []*models.Ticket
	for i := range 10000 {
		c := others[1+i%19]
		if i%200 == 0 { // 50 of 10,000
			c = w.contact
		}
		t := &models.Ticket{Subject: fmt.Sprintf("Ticket %d", i), PipelineID: pipe.ID, StageID: pipe.Stages[i%2].ID,
			SourceChannel: models.Channels[i%len(models.Channels)], ContactID: &c.ID, CompanyID: &w.company.ID,
			CreatedAt: start, UpdatedAt: start, LastActivityAt: start.Add(time.Duration(i) * time.Minute)}
		if i%10 == 0 {
			t.OwnerID = &w.agent.ID
		}
		batch = append(batch, t)
		if len(batch) == 1000 {
			must(b, s.Tickets.CreateBatch(ctx, batch))
			batch = nil
		}
	}
	w.long = models.Ticket{Subject: "Long thread", PipelineID: pipe.ID, StageID: pipe.Stages[0].ID, SourceChannel: models.ChannelPortal,
		ContactID: &w.contact.ID, CompanyID: &w.company.ID}
	must(b, s.Tickets.Create(ctx, &w.long))
	th := models.Thread{TicketID: w.long.ID, Channel: models.ChannelPortal, CreatedAt: start}
	must(b, s.Tickets.CreateThread(ctx, &th))
	var msgs []*models.Message
	for i := range 200 {
		msgs = append(msgs, &models.Message{ThreadID: th.ID, TicketID: w.long.ID, AuthorKind: models.AuthorContact,
			AuthorContactID: &w.contact.ID, Body: fmt.Sprintf("Message %d of a long conversation, with a few words.", i),
			CreatedAt: start.Add(time.Duration(i) * time.Second)})
	}
	must(b, s.Tickets.InsertMessages(ctx, msgs))
	if db.Dialect == models.Postgres {
		must(b, db.Gorm.Exec("ANALYZE").Error)
	}
	return w
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListings measures the hot store queries of the portal and the desk over 10,000
// tickets: one page (25 rows) of a contact's own tickets, of their company's, of the desk's
// queue (unfiltered, and one owner's), and a 200-message thread.
func BenchmarkListings(b *testing.B) {
	dbtest.BenchEngines(b, func(b *testing.B, db *models.DB) {
		w := newListingWorld(b, db)
		ctx := context.Background()
		mine := models.PortalScope{ContactID: w.contact.ID}
		org := models.PortalScope{ContactID: w.contact.ID, CompanyID: w.company.ID}
		run := func(name string, f func() (int, error), want int) {
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					n, err := f()
					if err != nil || n != want {
						b.Fatalf("%d rows, %v; want %d", n, err, want)
					}
				}
			})
		}
		run("portal/mine", func() (int, error) {
			p, err := w.s.Tickets.ForPortal(ctx, mine, models.PortalQuery{View: models.ViewMine})
			return len(p.Rows), err
		}, 25)
		run("portal/org", func() (int, error) {
			p, err := w.s.Tickets.ForPortal(ctx, org, models.PortalQuery{View: models.ViewOrg})
			return len(p.Rows), err
		}, 25)
		run("desk/queue", func() (int, error) {
			p, err := w.s.Tickets.Queue(ctx, models.DeskQuery{})
			return len(p.Rows), err
		}, 25)
		run("desk/owner", func() (int, error) {
			p, err := w.s.Tickets.Queue(ctx, models.DeskQuery{OwnerID: w.agent.ID, Status: models.QueueAll})
			return len(p.Rows), err
		}, 25)
		run("desk/channel", func() (int, error) {
			p, err := w.s.Tickets.Queue(ctx, models.DeskQuery{Channel: models.ChannelAPI})
			return len(p.Rows), err
		}, 25)
		run("thread/200", func() (int, error) {
			th, err := w.s.Tickets.LatestThread(ctx, w.long.ID)
			if err != nil {
				return 0, err
			}
			m, err := w.s.Tickets.Messages(ctx, th.ID, false)
			return len(m), err
		}, 200)
	})
}
