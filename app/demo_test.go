package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// Expected sizes of the scripted base data set; update them with the script in demo.go.
const (
	demoBaseTickets     = 30
	demoBaseThreads     = 32
	demoBaseMessages    = 104
	demoBaseAttachments = 5
)

// newDemoApp builds an App over db with attachments in a temporary folder, whose path it
// returns too.
func newDemoApp(t *testing.T, db *models.DB) (*app.App, string) {
	t.Helper()
	dir := t.TempDir()
	storage, err := app.NewDiskStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storage.Close() })
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	a := app.New(models.NewStores(db), storage, log, app.Options{
		SessionIdle: time.Hour, SessionLifetime: 24 * time.Hour, LoginMaxFailures: 5, LoginWindow: 15 * time.Minute,
	})
	return a, dir
}

// countRows runs a COUNT query.
func countRows(t *testing.T, db *models.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// countBlobs counts the finished blobs in the storage folder (not temporary .part files).
func countBlobs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".part") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// demoTables are the tables a second seed must leave alone.
var demoTables = []string{"staff_users", "teams", "team_members", "companies", "contacts", "contact_lists",
	"contact_list_members", "pipelines", "pipeline_stages", "inboxes", "tickets", "threads", "messages",
	"attachments", "kb_categories", "kb_articles", "consent_texts", "consent_records", "settings"}

func tableCounts(t *testing.T, db *models.DB) map[string]int64 {
	t.Helper()
	out := make(map[string]int64, len(demoTables))
	for _, table := range demoTables {
		out[table] = countRows(t, db, "SELECT COUNT(*) FROM "+table)
	}
	return out
}

func TestSeedDemoBase(t *testing.T) {
	t.Parallel() // each subtest has its own database
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a, dir := newDemoApp(t, db)
		res, err := a.SeedDemo(ctx, app.DemoOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Created || res.VolumeTickets != 0 || res.VolumeMessages != 0 {
			t.Fatalf("first seed: %+v", res)
		}

		for _, c := range []struct {
			name  string
			query string
			want  int64
		}{
			{"tickets", "SELECT COUNT(*) FROM tickets", demoBaseTickets},
			{"threads", "SELECT COUNT(*) FROM threads", demoBaseThreads},
			{"messages", "SELECT COUNT(*) FROM messages", demoBaseMessages},
			{"attachments", "SELECT COUNT(*) FROM attachments", demoBaseAttachments},
			{"staff", "SELECT COUNT(*) FROM staff_users", 3},
			{"admins", "SELECT COUNT(*) FROM staff_users WHERE role = 'admin'", 1},
			{"teams", "SELECT COUNT(*) FROM teams", 2},
			{"companies", "SELECT COUNT(*) FROM companies", 2},
			{"contacts", "SELECT COUNT(*) FROM contacts", 6},
			{"contacts without company", "SELECT COUNT(*) FROM contacts WHERE company_id IS NULL", 1},
			{"list members", "SELECT COUNT(*) FROM contact_list_members", 6},
			{"pipelines", "SELECT COUNT(*) FROM pipelines WHERE is_default", 1},
			{"stages", "SELECT COUNT(*) FROM pipeline_stages", 5},
			{"closed stages", "SELECT COUNT(*) FROM pipeline_stages WHERE is_closed", 2},
			{"inboxes", "SELECT COUNT(*) FROM inboxes", 3},
			{"channels", "SELECT COUNT(DISTINCT source_channel) FROM tickets", int64(len(models.Channels))},
			{"kb categories", "SELECT COUNT(*) FROM kb_categories", 3},
			{"kb articles", "SELECT COUNT(*) FROM kb_articles", 7},
			{"kb published", "SELECT COUNT(*) FROM kb_articles WHERE status = 'published' AND published_at IS NOT NULL", 6},
			{"consent records", "SELECT COUNT(*) FROM consent_records WHERE version = 1", 6},
			{"notes by staff", "SELECT COUNT(*) FROM messages WHERE is_internal AND (author_kind <> 'staff' OR author_staff_id IS NULL)", 0},
			{"authors", "SELECT COUNT(*) FROM messages WHERE (author_kind = 'contact') = (author_contact_id IS NULL)", 0},
			{"ticket companies", "SELECT COUNT(*) FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE COALESCE(t.company_id, 0) <> COALESCE(c.company_id, 0)", 0},
		} {
			if got := countRows(t, db, c.query); got != c.want {
				t.Errorf("%s: %d, want %d", c.name, got, c.want)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM messages WHERE is_internal"); n == 0 {
			t.Error("no internal notes")
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM tickets WHERE is_closed"); n == 0 || n == demoBaseTickets {
			t.Errorf("%d closed tickets, want some but not all", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM (SELECT ticket_id FROM threads GROUP BY ticket_id HAVING COUNT(DISTINCT channel) = 2) x"); n != demoBaseThreads-demoBaseTickets {
			t.Errorf("%d tickets with two threads on different channels, want %d", n, demoBaseThreads-demoBaseTickets)
		}
		consent, err := a.Stores.Consent.Current(ctx)
		if err != nil || consent.Version != 1 || consent.Notice == "" || consent.CheckboxLabel == "" {
			t.Errorf("consent text: %+v, %v", consent, err)
		}

		checkDemoAttachments(t, a, db)
		if n := countBlobs(t, dir); n != demoBaseAttachments {
			t.Errorf("%d blobs in storage, want %d", n, demoBaseAttachments)
		}
		checkDemoTickets(t, db, a.Now(), 61*24*time.Hour, 2, 6)
		checkDemoLogins(t, a, res.Logins)

		before := tableCounts(t, db)
		again, err := a.SeedDemo(ctx, app.DemoOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if again.Created {
			t.Error("second seed says it created the data set")
		}
		if !slices.Equal(again.Logins, res.Logins) {
			t.Errorf("second seed logins %v, want %v", again.Logins, res.Logins)
		}
		after := tableCounts(t, db)
		for _, table := range demoTables {
			if before[table] != after[table] {
				t.Errorf("second seed changed %s: %d → %d rows", table, before[table], after[table])
			}
		}
		if n := countBlobs(t, dir); n != demoBaseAttachments {
			t.Errorf("second seed left %d blobs, want %d", n, demoBaseAttachments)
		}
	})
}

// Two seeds at once (two instances started with --demo) must create one data set, and the
// loser must not leave blobs behind.
func TestSeedDemoConcurrent(t *testing.T) {
	t.Parallel() // each subtest has its own database
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a, dir := newDemoApp(t, db)
		const n = 3
		results := make([]app.DemoResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = a.SeedDemo(context.Background(), app.DemoOptions{}) })
		}
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("seed %d: %v", i, errs[i])
			}
			if results[i].Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d seeds created the data set, want 1", created)
		}
		if got := countRows(t, db, "SELECT COUNT(*) FROM tickets"); got != demoBaseTickets {
			t.Errorf("%d tickets, want %d", got, demoBaseTickets)
		}
		if got := countBlobs(t, dir); got != demoBaseAttachments {
			t.Errorf("%d blobs in storage, want %d", got, demoBaseAttachments)
		}
	})
}

// A pipeline and an inbox that an install made itself under the demo's names are reused, and
// tickets follow the existing stages.
func TestSeedDemoReusesSetup(t *testing.T) {
	t.Parallel() // each subtest has its own database
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a, _ := newDemoApp(t, db)
		p := models.Pipeline{Name: "Support", Stages: []models.PipelineStage{
			{Name: "Open", Position: 0}, {Name: "Done", Position: 1, IsClosed: true}}}
		if err := a.Stores.Pipelines.Create(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if err := a.Stores.Inboxes.Create(ctx, &models.Inbox{Name: "Customer portal", Channel: models.ChannelPortal, Active: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, app.DemoOptions{Tickets: 20, Messages: 2}); err != nil {
			t.Fatal(err)
		}
		for what, c := range map[string]struct {
			query string
			want  int64
		}{
			"pipelines":      {"SELECT COUNT(*) FROM pipelines", 1},
			"stages":         {"SELECT COUNT(*) FROM pipeline_stages", 2},
			"inboxes":        {"SELECT COUNT(*) FROM inboxes", 3},
			"closed tickets": {"SELECT COUNT(*) FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE s.name = 'Done'", countRows(t, db, "SELECT COUNT(*) FROM tickets WHERE is_closed")},
		} {
			if got := countRows(t, db, c.query); got != c.want {
				t.Errorf("%s: %d, want %d", what, got, c.want)
			}
		}
		checkDemoTickets(t, db, a.Now(), 380*24*time.Hour, 2, 6)
	})
}

// When the base data set cannot be written (here a demo address is taken) nothing of it
// stays: no rows, no marker, no blobs; and a later run after the conflict is gone succeeds.
func TestSeedDemoAllOrNothing(t *testing.T) {
	t.Parallel() // each subtest has its own database
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a, dir := newDemoApp(t, db)
		taken, err := a.CreateStaff(ctx, app.NewStaff{Email: "demo-agent-2@example.com", Password: "someone-elses-pw", Role: models.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		before := tableCounts(t, db)
		if _, err := a.SeedDemo(ctx, app.DemoOptions{Tickets: 10}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("seed over a taken address: %v, want ErrConflict", err)
		}
		after := tableCounts(t, db)
		for _, table := range demoTables {
			if before[table] != after[table] {
				t.Errorf("failed seed left rows in %s: %d → %d", table, before[table], after[table])
			}
		}
		if n := countBlobs(t, dir); n != 0 {
			t.Errorf("failed seed left %d blobs", n)
		}

		if err := db.Gorm.Exec("DELETE FROM staff_users WHERE id = ?", taken.ID).Error; err != nil {
			t.Fatal(err)
		}
		res, err := a.SeedDemo(ctx, app.DemoOptions{})
		if err != nil || !res.Created {
			t.Fatalf("seed after the conflict: %+v, %v", res, err)
		}
	})
}

func TestSeedDemoVolume(t *testing.T) {
	t.Parallel() // each subtest has its own database
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a, _ := newDemoApp(t, db)
		if _, err := a.SeedDemo(ctx, app.DemoOptions{}); err != nil {
			t.Fatal(err)
		}
		acme, err := a.Stores.Companies.ByName(ctx, "Acme Corp")
		if err != nil {
			t.Fatal(err)
		}
		alice, err := a.Stores.Contacts.ByEmail(ctx, "alice@acme.example")
		if err != nil {
			t.Fatal(err)
		}

		runs := []struct {
			name              string
			opts              app.DemoOptions
			tickets, messages int
			alice             int64
		}{
			{"120x3", app.DemoOptions{Tickets: 120, Messages: 3}, 120, 360, 50},
			{"default messages", app.DemoOptions{Tickets: 12}, 12, 120, 12},
		}
		for _, run := range runs {
			var lastID int64
			if err := db.Gorm.Raw("SELECT COALESCE(MAX(id), 0) FROM tickets").Scan(&lastID).Error; err != nil {
				t.Fatal(err)
			}
			total := countRows(t, db, "SELECT COUNT(*) FROM tickets")
			res, err := a.SeedDemo(ctx, run.opts)
			if err != nil {
				t.Fatalf("%s: %v", run.name, err)
			}
			if res.Created || res.VolumeTickets != run.tickets || res.VolumeMessages != run.messages || len(res.Logins) == 0 {
				t.Errorf("%s: result %+v", run.name, res)
			}
			for _, c := range []struct {
				what  string
				query string
				args  []any
				want  int64
			}{
				{"all tickets", "SELECT COUNT(*) FROM tickets", nil, total + int64(run.tickets)},
				{"new tickets", "SELECT COUNT(*) FROM tickets WHERE id > ?", []any{lastID}, int64(run.tickets)},
				{"in Acme", "SELECT COUNT(*) FROM tickets WHERE id > ? AND company_id = ?", []any{lastID, acme.ID}, int64(run.tickets)},
				{"from Acme contacts", "SELECT COUNT(*) FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id > ? AND c.company_id = ?", []any{lastID, acme.ID}, int64(run.tickets)},
				{"alice's", "SELECT COUNT(*) FROM tickets WHERE id > ? AND contact_id = ?", []any{lastID, alice.ID}, run.alice},
				{"threads", "SELECT COUNT(*) FROM threads WHERE ticket_id > ?", []any{lastID}, int64(run.tickets)},
				{"messages", "SELECT COUNT(*) FROM messages WHERE ticket_id > ?", []any{lastID}, int64(run.messages)},
				{"messages in own thread", "SELECT COUNT(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.ticket_id > ? AND th.ticket_id = m.ticket_id", []any{lastID}, int64(run.messages)},
			} {
				if got := countRows(t, db, c.query, c.args...); got != c.want {
					t.Errorf("%s: %s: %d, want %d", run.name, c.what, got, c.want)
				}
			}
		}
		if got, want := countRows(t, db, "SELECT COUNT(DISTINCT number) FROM tickets"), countRows(t, db, "SELECT COUNT(*) FROM tickets"); got != want {
			t.Errorf("%d distinct numbers for %d tickets", got, want)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM messages WHERE is_internal AND ticket_id > ?", 0); n == 0 {
			t.Error("no internal notes at all")
		}
		checkDemoTickets(t, db, a.Now(), 380*24*time.Hour, 1, 10)
	})
}

// checkDemoTickets checks every ticket against its messages: created at its first message,
// last activity at its last customer-visible message and not in the future, threads whose
// last-message time is their newest message and which hold minMsgs to maxMsgs messages, the
// closed flag equal to its stage's, a closing time exactly on closed tickets.
func checkDemoTickets(t *testing.T, db *models.DB, now time.Time, maxAge time.Duration, minMsgs, maxMsgs int) {
	t.Helper()
	var tickets []struct {
		ID             int64
		CreatedAt      time.Time
		LastActivityAt time.Time
		ClosedAt       *time.Time
		IsClosed       bool
		StageClosed    bool
		Number         int64
	}
	err := db.Gorm.Raw(`SELECT t.id, t.created_at, t.last_activity_at, t.closed_at, t.is_closed, t.number,
		s.is_closed AS stage_closed FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id AND s.pipeline_id = t.pipeline_id`).
		Scan(&tickets).Error
	if err != nil {
		t.Fatal(err)
	}
	if want := countRows(t, db, "SELECT COUNT(*) FROM tickets"); int64(len(tickets)) != want {
		t.Fatalf("%d tickets joined to a stage of their pipeline, want %d", len(tickets), want)
	}
	var threads []struct {
		ID, TicketID  int64
		LastMessageAt time.Time
		CreatedAt     time.Time
	}
	if err := db.Gorm.Raw("SELECT id, ticket_id, last_message_at, created_at FROM threads").Scan(&threads).Error; err != nil {
		t.Fatal(err)
	}
	var messages []struct {
		ThreadID, TicketID int64
		CreatedAt          time.Time
		IsInternal         bool
	}
	if err := db.Gorm.Raw("SELECT thread_id, ticket_id, created_at, is_internal FROM messages").Scan(&messages).Error; err != nil {
		t.Fatal(err)
	}

	type span struct {
		first, last, lastVisible time.Time
		n                        int
	}
	widen := func(s span, at time.Time, visible bool) span {
		if s.n == 0 || at.Before(s.first) {
			s.first = at
		}
		if at.After(s.last) {
			s.last = at
		}
		if visible && at.After(s.lastVisible) {
			s.lastVisible = at
		}
		s.n++
		return s
	}
	byTicket, byThread := map[int64]span{}, map[int64]span{}
	for _, m := range messages {
		byTicket[m.TicketID] = widen(byTicket[m.TicketID], m.CreatedAt, !m.IsInternal)
		byThread[m.ThreadID] = widen(byThread[m.ThreadID], m.CreatedAt, !m.IsInternal)
	}
	for _, th := range threads {
		s := byThread[th.ID]
		if s.n < minMsgs || s.n > maxMsgs {
			t.Errorf("thread %d of ticket %d has %d messages, want %d–%d", th.ID, th.TicketID, s.n, minMsgs, maxMsgs)
		}
		if !th.LastMessageAt.Equal(s.last) || !th.CreatedAt.Equal(s.first) {
			t.Errorf("thread %d: created %v, last message %v; messages from %v to %v", th.ID, th.CreatedAt, th.LastMessageAt, s.first, s.last)
		}
	}
	for _, tk := range tickets {
		s := byTicket[tk.ID]
		switch {
		case s.n == 0:
			t.Errorf("ticket %d has no messages", tk.Number)
		case !tk.CreatedAt.Equal(s.first):
			t.Errorf("ticket %d created %v, first message %v", tk.Number, tk.CreatedAt, s.first)
		case !tk.LastActivityAt.Equal(s.lastVisible):
			t.Errorf("ticket %d last activity %v, last visible message %v", tk.Number, tk.LastActivityAt, s.lastVisible)
		case tk.LastActivityAt.After(now) || now.Sub(tk.CreatedAt) > maxAge:
			t.Errorf("ticket %d from %v to %v is outside the last %v", tk.Number, tk.CreatedAt, tk.LastActivityAt, maxAge)
		case tk.IsClosed != tk.StageClosed:
			t.Errorf("ticket %d is_closed %v, stage closed %v", tk.Number, tk.IsClosed, tk.StageClosed)
		case tk.IsClosed != (tk.ClosedAt != nil):
			t.Errorf("ticket %d is_closed %v, closed_at %v", tk.Number, tk.IsClosed, tk.ClosedAt)
		case tk.ClosedAt != nil && (tk.ClosedAt.Before(s.last) || tk.ClosedAt.After(now)):
			t.Errorf("ticket %d closed at %v, last message %v", tk.Number, *tk.ClosedAt, s.last)
		}
	}
}

// checkDemoAttachments checks that every attachment belongs to a message of its ticket and that
// the stored blob has the recorded size and SHA-256.
func checkDemoAttachments(t *testing.T, a *app.App, db *models.DB) {
	t.Helper()
	var rows []struct {
		models.Attachment
		MessageTicketID int64
	}
	err := db.Gorm.Raw(`SELECT a.*, m.ticket_id AS message_ticket_id FROM attachments a
		JOIN messages m ON m.id = a.message_id`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != demoBaseAttachments {
		t.Fatalf("%d attachments linked to a message, want %d", len(rows), demoBaseAttachments)
	}
	kinds := map[string]bool{}
	for _, r := range rows {
		if r.TicketID == nil || *r.TicketID != r.MessageTicketID {
			t.Errorf("%s: ticket %v, message of ticket %d", r.Filename, r.TicketID, r.MessageTicketID)
		}
		if len(r.PublicID) != 32 || r.ContentType == "" {
			t.Errorf("%s: public id %q, content type %q", r.Filename, r.PublicID, r.ContentType)
		}
		kinds[strings.SplitN(r.ContentType, "/", 2)[0]] = true
		f, err := a.Storage.Open(context.Background(), r.StorageKey)
		if err != nil {
			t.Fatalf("%s: %v", r.Filename, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != r.SHA256 || n != r.Size || n == 0 {
			t.Errorf("%s: blob has %d bytes with SHA-256 %s; row says %d, %s", r.Filename, n, sum, r.Size, r.SHA256)
		}
	}
	if !kinds["image"] || !kinds["text"] {
		t.Errorf("attachment kinds %v, want images and text", kinds)
	}
}

// checkDemoLogins checks that every printed login signs in with its password.
func checkDemoLogins(t *testing.T, a *app.App, logins []app.DemoLogin) {
	t.Helper()
	ctx := context.Background()
	kinds := map[string]int{}
	for _, l := range logins {
		kinds[l.Kind]++
		if err := app.ValidatePassword("password", l.Password); err != nil {
			t.Errorf("%s: demo password %q is not acceptable: %v", l.Email, l.Password, err)
		}
		var hash, name string
		switch l.Kind {
		case "admin", "agent":
			u, err := a.Stores.Staff.ByEmail(ctx, l.Email)
			if err != nil {
				t.Fatalf("%s: %v", l.Email, err)
			}
			if string(u.Role) != l.Kind || !u.CanSignIn() {
				t.Errorf("%s: role %s, can sign in %v", l.Email, u.Role, u.CanSignIn())
			}
			hash, name = u.PasswordHash, u.Name
		case "contact":
			c, err := a.Stores.Contacts.ByEmail(ctx, l.Email)
			if err != nil {
				t.Fatalf("%s: %v", l.Email, err)
			}
			if !c.CanSignIn() || !c.IsVerified() {
				t.Errorf("%s: can sign in %v, verified %v", l.Email, c.CanSignIn(), c.IsVerified())
			}
			hash, name = c.PasswordHash, c.Name
		default:
			t.Errorf("%s: unknown kind %q", l.Email, l.Kind)
			continue
		}
		if name != l.Name {
			t.Errorf("%s: name %q, login says %q", l.Email, name, l.Name)
		}
		if !app.CheckPassword(hash, l.Password) {
			t.Errorf("%s: the printed password does not match", l.Email)
		}
		if app.CheckPassword(hash, l.Password+"x") {
			t.Errorf("%s: a wrong password matches", l.Email)
		}
	}
	if kinds["admin"] != 1 || kinds["agent"] != 2 || kinds["contact"] < 5 {
		t.Errorf("login kinds %v", kinds)
	}
	if logins[0].Email != "demo-admin@example.com" {
		t.Errorf("first login %s, want the admin", logins[0].Email)
	}
}
