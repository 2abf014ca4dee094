package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// searchWorld is Acme (Ann, Ben) and Globex (Gil) with a few tickets each; every ticket has a
// thread with a customer message, an agent reply and an internal note.
type searchWorld struct {
	s              *models.Stores
	db             *models.DB
	pipe           models.Pipeline
	acme, globex   models.Company
	ann, ben, gil  models.Contact
	t0             time.Time
	next           int // minutes after t0 of the next ticket's activity
	noteIDs        map[int64]int64
	firstMessageID map[int64]int64
}

func newSearchWorld(t testing.TB, db *models.DB) *searchWorld {
	t.Helper()
	ctx := context.Background()
	w := &searchWorld{s: models.NewStores(db), db: db, t0: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC),
		noteIDs: map[int64]int64{}, firstMessageID: map[int64]int64{}}
	w.pipe = models.Pipeline{Name: "Support", Stages: []models.PipelineStage{
		{Name: "New", Position: 1}, {Name: "Solved", Position: 2, IsClosed: true}}}
	if err := w.s.Pipelines.Create(ctx, &w.pipe); err != nil {
		t.Fatal(err)
	}
	w.acme, w.globex = models.Company{Name: "Acme"}, models.Company{Name: "Globex"}
	for _, co := range []*models.Company{&w.acme, &w.globex} {
		if err := w.s.Companies.Create(ctx, co); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(email string, co models.Company) models.Contact {
		c := models.Contact{Email: email, Name: email, Active: true, CompanyID: &co.ID}
		if err := w.s.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	w.ann, w.ben, w.gil = mk("ann@acme.example", w.acme), mk("ben@acme.example", w.acme), mk("gil@globex.example", w.globex)
	return w
}

// ticket creates a ticket whose activity is later than every ticket before it.
func (w *searchWorld) ticket(t testing.TB, c models.Contact, subject, public, note string, opts ...func(*models.Ticket)) models.Ticket {
	t.Helper()
	ctx := context.Background()
	w.next++
	at := w.t0.Add(time.Duration(w.next) * time.Minute)
	tk := models.Ticket{Subject: subject, PipelineID: w.pipe.ID, StageID: w.pipe.Stages[0].ID,
		SourceChannel: models.ChannelPortal, ContactID: &c.ID, CompanyID: c.CompanyID,
		CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
	for _, o := range opts {
		o(&tk)
	}
	if err := w.s.Tickets.Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}
	th := models.Thread{TicketID: tk.ID, Channel: models.ChannelPortal, CreatedAt: at}
	if err := w.s.Tickets.CreateThread(ctx, &th); err != nil {
		t.Fatal(err)
	}
	for i, m := range []models.Message{
		{AuthorKind: models.AuthorContact, AuthorContactID: &c.ID, Body: public},
		{AuthorKind: models.AuthorStaff, Body: "Thanks, we are looking into it."},
		{AuthorKind: models.AuthorStaff, Body: note, IsInternal: true},
	} {
		m.ThreadID, m.TicketID, m.CreatedAt = th.ID, tk.ID, at
		if err := w.s.Tickets.AddMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		switch i {
		case 0:
			w.firstMessageID[tk.ID] = m.ID
		case 2:
			w.noteIDs[tk.ID] = m.ID
		}
	}
	return tk
}

func (w *searchWorld) search(t *testing.T, scope models.PortalScope, view, q string) []string {
	t.Helper()
	rows, err := w.s.Tickets.SearchPortal(context.Background(), scope, view, q, 0)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	refs := []string{}
	for _, r := range rows {
		refs = append(refs, r.Ref())
	}
	return refs
}

func refs(ts ...models.Ticket) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.Ref())
	}
	return out
}

func TestSearchPortal(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSearchWorld(t, db)
		ctx := context.Background()
		ann1 := w.ticket(t, w.ann, "Printer jams on tray two", "The paper feeder squeaks loudly", "zebracanary: customer is on a legacy plan")
		ann2 := w.ticket(t, w.ann, "Invoice question", "Please send a refund for March", "owes us money, quietcanary",
			func(tk *models.Ticket) { tk.Priority = models.PriorityHigh })
		ben1 := w.ticket(t, w.ben, "Printer offline", "Since Monday the printer shows no network", "nothing to add")
		gil1 := w.ticket(t, w.gil, "Printer broken", "paper feeder snapped; refund please", "globex note")
		ann, annOrg := models.PortalScope{ContactID: w.ann.ID}, models.PortalScope{ContactID: w.ann.ID, CompanyID: w.acme.ID}

		cases := []struct {
			name  string
			scope models.PortalScope
			view  string
			q     string
			want  []string
		}{
			{"subject word", ann, models.ViewMine, "printer", refs(ann1)},
			{"subject words, any case", ann, models.ViewMine, "TRAY Printer", refs(ann1)},
			{"public customer message", ann, models.ViewMine, "squeaks", refs(ann1)},
			{"public agent reply", ann, models.ViewMine, "looking", refs(ann2, ann1)},
			{"message words", ann, models.ViewMine, "refund march", refs(ann2)},
			{"internal note word", ann, models.ViewMine, "zebracanary", refs()},
			{"internal note words", ann, models.ViewMine, "legacy plan", refs()},
			{"other internal note", ann, models.ViewMine, "quietcanary", refs()},
			{"colleague's ticket, own view", ann, models.ViewMine, "offline", refs()},
			{"organisation view", annOrg, models.ViewOrg, "printer", refs(ben1, ann1)},
			{"organisation view, message", annOrg, models.ViewOrg, "network", refs(ben1)},
			{"other company never", annOrg, models.ViewOrg, "snapped", refs()},
			{"other company's word, own", ann, models.ViewMine, "broken", refs()},
			{"no match", ann, models.ViewMine, "xylophone", refs()},
			{"prefix is not a match", ann, models.ViewMine, "print", refs()},
			{"filter applies", models.PortalScope{ContactID: w.ann.ID, Rules: []models.FilterRule{
				{Property: "priority", Op: models.OpAnyOf, Values: []string{"high", "urgent"}}}}, models.ViewMine, "looking", refs(ann2)},
			{"filter hides", models.PortalScope{ContactID: w.ann.ID, Rules: []models.FilterRule{
				{Property: "priority", Op: models.OpIs, Values: []string{"high"}}}}, models.ViewMine, "printer", refs()},
			{"Gil sees his own", models.PortalScope{ContactID: w.gil.ID}, models.ViewMine, "refund", refs(gil1)},
		}
		for _, c := range cases {
			if got := w.search(t, c.scope, c.view, c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: search %q = %v, want %v", c.name, c.q, got, c.want)
			}
		}

		// No scope, or an organisation view without a company: nothing, as for the listing.
		for _, sc := range []struct {
			scope models.PortalScope
			view  string
		}{{models.PortalScope{}, models.ViewMine}, {ann, models.ViewOrg}} {
			if _, err := w.s.Tickets.SearchPortal(ctx, sc.scope, sc.view, "printer", 10); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("scope %+v view %s: %v, want ErrNotFound", sc.scope, sc.view, err)
			}
		}
		// Empty queries and queries without a word search nothing.
		for _, q := range []string{"", "   ", `"*" % _ -- ;`} {
			rows, err := w.s.Tickets.SearchPortal(ctx, ann, models.ViewMine, q, 10)
			if err != nil || rows != nil {
				t.Errorf("search %q = %v, %v; want nil", q, rows, err)
			}
		}

		// A note that becomes public is found; a message that becomes a note no longer is.
		setInternal := func(id int64, internal bool) {
			t.Helper()
			if err := db.Gorm.Model(&models.Message{}).Where("id = ?", id).Update("is_internal", internal).Error; err != nil {
				t.Fatal(err)
			}
		}
		setInternal(w.noteIDs[ann1.ID], false)
		if got := w.search(t, ann, models.ViewMine, "zebracanary"); !slices.Equal(got, refs(ann1)) {
			t.Errorf("note made public: %v", got)
		}
		setInternal(w.noteIDs[ann1.ID], true)
		setInternal(w.firstMessageID[ann1.ID], true)
		for _, q := range []string{"zebracanary", "squeaks"} {
			if got := w.search(t, ann, models.ViewMine, q); len(got) != 0 {
				t.Errorf("message made internal still found by %q: %v", q, got)
			}
		}
		// Edited bodies and subjects are searched as they are now; deleted messages are gone.
		if err := db.Gorm.Model(&models.Message{}).Where("id = ?", w.firstMessageID[ann2.ID]).Update("body", "the toner smudges").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Model(&models.Ticket{}).Where("id = ?", ben1.ID).Update("subject", "Scanner offline").Error; err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string][]string{"toner": refs(ann2), "march": refs(), "scanner": refs(ben1), "printer": refs(ann1, ben1)} {
			got := w.search(t, annOrg, models.ViewOrg, q)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("after edits, %q = %v, want %v", q, got, want)
			}
		}
		if err := db.Gorm.Where("id = ?", w.firstMessageID[ann2.ID]).Delete(&models.Message{}).Error; err != nil {
			t.Fatal(err)
		}
		if got := w.search(t, ann, models.ViewMine, "toner"); len(got) != 0 {
			t.Errorf("deleted message still found: %v", got)
		}
	})
}

// Hostile input is only ever words: no SQL or FTS syntax error, no wildcard, no escape from
// the scope.
func TestSearchPortalHostileInput(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSearchWorld(t, db)
		ann1 := w.ticket(t, w.ann, "Printer jams", "paper feeder 100% broken_down", "note")
		w.ticket(t, w.gil, "Printer OR NEAR", "percent % underscore _ star *", "note")
		ann := models.PortalScope{ContactID: w.ann.ID}
		inputs := []string{
			`"`, `""`, `'`, `"printer`, `printer"`, `*`, `printer*`, `pr*`, `OR`, `printer OR gil`, `AND`, `NOT printer`,
			`NEAR(printer paper)`, `NEAR`, `printer NEAR/2 paper`, `subject:printer`, `body : printer`, `{subject}: printer`,
			`^printer`, "nul\x00printer", `%`, `_`, `%%`, `pri%`, `pr_nter`, `\%`, `'; DROP TABLE tickets; --`, `' OR 1=1 --`,
			`"; DROP TABLE messages; --`, `1) OR (1=1`, `pg_sleep(5)`, `CASE WHEN 1=1 THEN 1 END`, `<script>`, `!printer`,
			`printer & paper | !x <-> y:*`, `-printer`, `+printer`, `(printer)`, `printer:*`, `\x00printer`, "\xff\xfe",
			`$1 $2 ? @name @@ ::text`, strings.Repeat("printer ", 2000), strings.Repeat("x", 10<<10),
			strings.Repeat(`"*%_'`, 2048), strings.Repeat("ä", 5000),
		}
		for _, in := range inputs {
			rows, err := w.s.Tickets.SearchPortal(context.Background(), ann, models.ViewMine, in, 10)
			if err != nil {
				t.Errorf("search %.40q: %v", in, err)
				continue
			}
			for _, r := range rows {
				if r.Number != ann1.Number {
					t.Errorf("search %.40q escaped the scope: %s", in, r.Ref())
				}
			}
		}
		// Words around the syntax still count as words; wildcards match nothing by themselves.
		for q, want := range map[string][]string{
			`printer OR xylophone`: refs(), // "or" is a word the ticket does not hold
			`"printer" "paper"`:    refs(), // subject and message words are not combined
			`'printer'`:            refs(ann1),
			`pr%`:                  refs(),
			`broken_down`:          refs(ann1), // two words, both in the message
			`100%`:                 refs(ann1),
		} {
			if got := w.search(t, ann, models.ViewMine, q); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", q, got, want)
			}
		}
		// The tables are still there.
		if n, err := w.s.Tickets.Count(context.Background()); err != nil || n != 2 {
			t.Fatalf("tickets after hostile searches: %d, %v", n, err)
		}
	})
}

// Results come by last activity, at most the limit; many matches of other customers never hide
// the viewer's; a scope with more matches than the candidate cap gets its newest.
func TestSearchPortalOrderAndBounds(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSearchWorld(t, db)
		ctx := context.Background()
		old := w.ticket(t, w.ann, "Printer from last year", "paper", "note")
		// 300 newer matches of another company, in one batch.
		var batch []*models.Ticket
		for i := range 300 {
			at := w.t0.Add(time.Duration(1000+i) * time.Minute)
			batch = append(batch, &models.Ticket{Subject: fmt.Sprintf("Printer %d", i), PipelineID: w.pipe.ID,
				StageID: w.pipe.Stages[0].ID, SourceChannel: models.ChannelEmail, ContactID: &w.gil.ID,
				CompanyID: &w.globex.ID, CreatedAt: at, UpdatedAt: at, LastActivityAt: at})
		}
		if err := w.s.Tickets.CreateBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if got := w.search(t, models.PortalScope{ContactID: w.ann.ID}, models.ViewMine, "printer"); !slices.Equal(got, refs(old)) {
			t.Fatalf("crowded out by other customers' matches: %v", got)
		}
		gil := models.PortalScope{ContactID: w.gil.ID}
		rows, err := w.s.Tickets.SearchPortal(ctx, gil, models.ViewMine, "printer", 500)
		if err != nil || len(rows) != models.TicketSearchMax {
			t.Fatalf("limit: %d rows, %v", len(rows), err)
		}
		for i, r := range rows {
			if want := batch[299-i].Number; r.Number != want {
				t.Fatalf("row %d = T-%d, want T-%d (newest activity first)", i, r.Number, want)
			}
		}
		// Activity, not creation, orders the results: bump an old one.
		if err := w.s.Tickets.SetActivity(ctx, batch[250].ID, batch[250].CreatedAt, w.t0.Add(1000*time.Hour)); err != nil {
			t.Fatal(err)
		}
		rows, _ = w.s.Tickets.SearchPortal(ctx, gil, models.ViewMine, "printer 250", 3)
		if len(rows) != 1 || rows[0].Number != batch[250].Number {
			t.Fatalf("two words: %+v", rows)
		}
		rows, _ = w.s.Tickets.SearchPortal(ctx, gil, models.ViewMine, "printer", 3)
		if len(rows) != 3 || rows[0].Number != batch[250].Number || rows[1].Number != batch[299].Number {
			t.Fatalf("bumped ticket not first: %+v", rows)
		}
	})
}

func TestCountForPortal(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSearchWorld(t, db)
		ctx := context.Background()
		w.ticket(t, w.ann, "one", "a", "n", func(tk *models.Ticket) { tk.Priority = models.PriorityHigh })
		w.ticket(t, w.ann, "two", "a", "n", func(tk *models.Ticket) { tk.Properties = models.Props{"equipment": "press"} })
		w.ticket(t, w.ben, "three", "a", "n", func(tk *models.Ticket) { tk.Priority = models.PriorityHigh })
		w.ticket(t, w.gil, "four", "a", "n")
		high := []models.FilterRule{{Property: "priority", Op: models.OpIs, Values: []string{"high"}}}
		press := []models.FilterRule{{Property: "prop:equipment", Op: models.OpIsNot, Values: []string{"press"}}}
		cases := []struct {
			name  string
			scope models.PortalScope
			view  string
			want  int64
		}{
			{"own", models.PortalScope{ContactID: w.ann.ID}, models.ViewMine, 2},
			{"org", models.PortalScope{ContactID: w.ann.ID, CompanyID: w.acme.ID}, models.ViewOrg, 3},
			{"own, filtered", models.PortalScope{ContactID: w.ann.ID, Rules: high}, models.ViewMine, 1},
			{"org, filtered", models.PortalScope{ContactID: w.ann.ID, CompanyID: w.acme.ID, Rules: high}, models.ViewOrg, 2},
			{"custom property is not", models.PortalScope{ContactID: w.ann.ID, Rules: press}, models.ViewMine, 1},
			{"other company", models.PortalScope{ContactID: w.gil.ID, CompanyID: w.globex.ID}, models.ViewOrg, 1},
		}
		for _, c := range cases {
			n, err := w.s.Tickets.CountForPortal(ctx, c.scope, c.view)
			if err != nil || n != c.want {
				t.Errorf("%s: %d, %v; want %d", c.name, n, err, c.want)
			}
		}
		if _, err := w.s.Tickets.CountForPortal(ctx, models.PortalScope{ContactID: w.ann.ID}, models.ViewOrg); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("org view without company: %v", err)
		}
		bad := models.PortalScope{ContactID: w.ann.ID, Rules: []models.FilterRule{{Property: "id; DROP TABLE tickets", Op: models.OpIs, Values: []string{"1"}}}}
		var ve *models.ValidationError
		if _, err := w.s.Tickets.CountForPortal(ctx, bad, models.ViewMine); !errors.As(err, &ve) {
			t.Errorf("bad rule: %v", err)
		}
	})
}

// The agents' search finds tickets by the words of internal notes too (through the notes' own
// index, which follows notes made public and messages made notes), while the portal's search
// over the same tickets still does not.
func TestDeskSearchFindsInternalNotes(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSearchWorld(t, db)
		ctx := context.Background()
		ann1 := w.ticket(t, w.ann, "Printer jams", "The paper feeder squeaks", "zebracanary: customer is on a legacy plan")
		ben1 := w.ticket(t, w.ben, "Printer offline", "No network since Monday", "quietcanary and zebracanary both")
		w.ticket(t, w.gil, "Invoice", "Refund please", "nothing to see")
		desk := func(q string) []string {
			t.Helper()
			page, err := w.s.Tickets.Queue(ctx, models.DeskQuery{Status: models.QueueAll, Search: q})
			if err != nil {
				t.Fatalf("desk search %q: %v", q, err)
			}
			var got []string
			for _, r := range page.Rows {
				got = append(got, r.Ref())
			}
			slices.Sort(got)
			return got
		}
		want := refs(ann1, ben1)
		slices.Sort(want)
		for q, want := range map[string][]string{"zebracanary": want, "quietcanary": refs(ben1), "squeaks": refs(ann1),
			"legacy plan": refs(ann1), "printer": want, "nowhere": nil} {
			if got := desk(q); !slices.Equal(got, want) {
				t.Errorf("desk search %q = %v, want %v", q, got, want)
			}
		}
		annOrg := models.PortalScope{ContactID: w.ann.ID, CompanyID: w.acme.ID}
		if got := w.search(t, annOrg, models.ViewOrg, "zebracanary"); len(got) != 0 {
			t.Errorf("the portal finds a note word: %v", got)
		}

		setInternal := func(id int64, internal bool) {
			t.Helper()
			if err := db.Gorm.Model(&models.Message{}).Where("id = ?", id).Update("is_internal", internal).Error; err != nil {
				t.Fatal(err)
			}
		}
		// A message made a note is still found by the desk (now as a note), not by the portal.
		setInternal(w.firstMessageID[ann1.ID], true)
		if got := desk("squeaks"); !slices.Equal(got, refs(ann1)) {
			t.Errorf("message made a note: desk search = %v", got)
		}
		if got := w.search(t, annOrg, models.ViewOrg, "squeaks"); len(got) != 0 {
			t.Errorf("message made a note: the portal still finds it: %v", got)
		}
		// A note deleted is gone from the desk's search.
		if err := db.Gorm.Where("id = ?", w.noteIDs[ben1.ID]).Delete(&models.Message{}).Error; err != nil {
			t.Fatal(err)
		}
		if got := desk("quietcanary"); len(got) != 0 {
			t.Errorf("deleted note still found: %v", got)
		}
	})
}

func TestInboxAll(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		for _, name := range []string{"Support", "Billing", "Portal"} {
			if err := s.Inboxes.Create(ctx, &models.Inbox{Name: name, Channel: models.ChannelEmail, Active: true}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.Inboxes.All(ctx)
		if err != nil || len(all) != 3 || all[0].Name != "Billing" || all[2].Name != "Support" {
			t.Fatalf("All = %+v, %v", all, err)
		}
	})
}

// BenchmarkSearchPortal searches a help desk of 2,000 tickets (40 companies of 5 contacts,
// 10 tickets each; every ticket a thread of a customer message, an agent reply and a note) as
// one contact, in their own and their organisation's view.
func BenchmarkSearchPortal(b *testing.B) {
	dbtest.BenchEngines(b, func(b *testing.B, db *models.DB) {
		w := newSearchWorld(b, db)
		seedSearchBench(b, w)
		if db.Dialect == models.Postgres {
			db.Gorm.Exec("ANALYZE")
		}
		ctx := context.Background()
		var c models.Contact
		if err := db.Gorm.Where("email = ?", "c7-2@bench.example").Take(&c).Error; err != nil {
			b.Fatal(err)
		}
		mine := models.PortalScope{ContactID: c.ID}
		org := models.PortalScope{ContactID: c.ID, CompanyID: *c.CompanyID}
		for _, bc := range []struct {
			name, view, q string
			scope         models.PortalScope
		}{
			{"mine/subject", models.ViewMine, "shipping", mine},
			{"mine/message-words", models.ViewMine, "invoice password", mine},
			{"mine/everywhere", models.ViewMine, "working", mine},
			{"mine/none", models.ViewMine, "xylophone", mine},
			{"org/subject", models.ViewOrg, "network", org},
			{"org/everywhere", models.ViewOrg, "looking", org},
			{"org/rare", models.ViewOrg, "ticket1237", org},
			{"org/elsewhere-only", models.ViewOrg, "printer", org},
			{"org/note-only", models.ViewOrg, "canary", org},
		} {
			b.Run(bc.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := w.s.Tickets.SearchPortal(ctx, bc.scope, bc.view, bc.q, 25); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// seedSearchBench writes the benchmark's 2,000 tickets with batched statements.
func seedSearchBench(b testing.TB, w *searchWorld) {
	b.Helper()
	ctx := context.Background()
	words := []string{"printer", "invoice", "refund", "login", "network", "shipping", "warranty", "password"}
	var contacts []models.Contact
	for co := range 40 {
		company := models.Company{Name: fmt.Sprintf("Company %d", co)}
		if err := w.s.Companies.Create(ctx, &company); err != nil {
			b.Fatal(err)
		}
		for i := range 5 {
			c := models.Contact{Email: fmt.Sprintf("c%d-%d@bench.example", co, i), Name: "C", Active: true, CompanyID: &company.ID}
			if err := w.s.Contacts.Create(ctx, &c); err != nil {
				b.Fatal(err)
			}
			contacts = append(contacts, c)
		}
	}
	var tickets []*models.Ticket
	for i := range 2000 {
		c := contacts[i%len(contacts)]
		at := w.t0.Add(time.Duration(i) * time.Minute)
		tickets = append(tickets, &models.Ticket{Subject: fmt.Sprintf("The %s does not work (ticket%d)", words[i%len(words)], i),
			PipelineID: w.pipe.ID, StageID: w.pipe.Stages[0].ID, SourceChannel: models.ChannelEmail,
			ContactID: &c.ID, CompanyID: c.CompanyID, CreatedAt: at, UpdatedAt: at, LastActivityAt: at})
	}
	if err := w.s.Tickets.CreateBatch(ctx, tickets); err != nil {
		b.Fatal(err)
	}
	threads := make([]*models.Thread, len(tickets))
	for i, t := range tickets {
		threads[i] = &models.Thread{TicketID: t.ID, Channel: models.ChannelEmail, CreatedAt: t.CreatedAt, LastMessageAt: t.CreatedAt}
	}
	if err := w.s.Tickets.InsertThreads(ctx, threads); err != nil {
		b.Fatal(err)
	}
	var msgs []*models.Message
	for i, t := range tickets {
		th := threads[i]
		msgs = append(msgs,
			&models.Message{ThreadID: th.ID, TicketID: t.ID, AuthorKind: models.AuthorContact, AuthorContactID: t.ContactID, CreatedAt: t.CreatedAt,
				Body: fmt.Sprintf("Hello, my %s and my %s stopped working this morning. %s", words[(i*3)%len(words)], words[(i*5)%len(words)], benchText)},
			&models.Message{ThreadID: th.ID, TicketID: t.ID, AuthorKind: models.AuthorStaff, CreatedAt: t.CreatedAt.Add(time.Minute),
				Body: "Thanks for reaching out, we are looking into it. " + benchText},
			&models.Message{ThreadID: th.ID, TicketID: t.ID, AuthorKind: models.AuthorStaff, CreatedAt: t.CreatedAt.Add(2 * time.Minute),
				Body: "canary: internal remark about " + words[i%len(words)], IsInternal: true})
	}
	if err := w.s.Tickets.InsertMessages(ctx, msgs); err != nil {
		b.Fatal(err)
	}
}

const benchText = `We tried restarting it twice, checked the cables and the settings page, and asked a colleague
to try from another desk. The problem stays the same and the whole team is waiting on it, so any help is welcome.`

// TestSearchPortalSQLitePlans: SQLite reads a small scope's messages first when the words are
// common across the help desk, and the full-text index first otherwise; both find the same
// tickets, newest first, and never an internal note.
func TestSearchPortalSQLitePlans(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newSearchWorld(t, db)
		ctx := context.Background()
		var gils []models.Ticket
		for i := range 30 {
			gils = append(gils, w.ticket(t, w.gil, fmt.Sprintf("Globex %d", i), "The printer jams again", "n"))
		}
		a1 := w.ticket(t, w.ann, "First", "Our printer jams", "n")
		w.ticket(t, w.ann, "Secret", "Paper tray", "printer jams in the note only")
		b1 := w.ticket(t, w.ben, "Ben's", "A printer jams here too", "n")
		a2 := w.ticket(t, w.ann, "Second", "The printer jams on Mondays", "n")
		ann := models.PortalScope{ContactID: w.ann.ID, CompanyID: w.acme.ID}
		gil := models.PortalScope{ContactID: w.gil.ID}
		cases := []struct {
			name, view, words string
			scope             models.PortalScope
			plan              string
			want              []string
		}{
			{"own tickets, common words", models.ViewMine, "printer jams", ann, "scope", refs(a2, a1)},
			{"organisation, common word", models.ViewOrg, "printer", ann, "scope", refs(a2, b1, a1)},
			{"own tickets, rare word", models.ViewMine, "mondays", ann, "index", refs(a2)},
			{"large scope, common word", models.ViewMine, "printer", gil, "index", nil},
		}
		for _, c := range cases {
			if db.Dialect == models.SQLite {
				plan, err := w.s.Tickets.SQLiteMessagePlan(ctx, c.scope, c.view, c.words)
				if err != nil || plan != c.plan {
					t.Errorf("%s: plan %q, %v; want %q", c.name, plan, err, c.plan)
				}
			}
			want := c.want
			if want == nil {
				for i := len(gils) - 1; i >= 0; i-- {
					want = append(want, gils[i].Ref())
				}
			}
			if got := w.search(t, c.scope, c.view, c.words); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", c.name, got, want)
			}
		}
	})
}
