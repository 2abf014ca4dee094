package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	mathrand "math/rand/v2"
	"time"

	"portico/models"
)

// The demo data set: a small, believable help desk for trying Portico out (SeedDemo), plus an
// optional bulk of generated tickets for measuring listings at scale. Every name below starts
// with "demo" because other files of this package are written at the same time.

// DemoOptions says how much demo data to create. Tickets and Messages zero mean the base data
// set only.
type DemoOptions struct {
	// Tickets is how many generated tickets to add to Acme Corp on top of the base data set;
	// the first Acme contact (alice@acme.example) gets min(Tickets, 50) of them. Each call adds
	// that many again: volume runs are additive.
	Tickets int
	// Messages is the number of messages in each generated ticket; zero (or less) means 10.
	Messages int
}

// DemoLogin is one account of the demo data set with its fixed, printed password. Kind is
// "admin", "agent" or "contact".
type DemoLogin struct {
	Kind, Email, Password, Name string
}

// DemoResult reports what SeedDemo did. Created is false when the base data set existed
// already; Logins are listed either way. VolumeTickets and VolumeMessages count what this call
// added.
type DemoResult struct {
	Created        bool
	Logins         []DemoLogin
	VolumeTickets  int
	VolumeMessages int
}

// demoMarkerKey is the settings key whose row means the base data set exists. It is written in
// the same transaction as the data, so the data exists exactly when the marker does, and two
// runs at once cannot both seed: the second one's insert of the key finds the first one's row
// (PostgreSQL makes it wait for the first to commit; SQLite runs the two transactions one after
// the other).
const demoMarkerKey = "demo_seeded"

// demoMarker is the value stored under demoMarkerKey.
type demoMarker struct {
	Version  int       `json:"version"`
	SeededAt time.Time `json:"seeded_at"`
}

const demoDay = 24 * time.Hour

// Volume chunking: each chunk is one transaction holding at most this many tickets and this
// many messages, so memory stays bounded however large the run, and SQLite pays one commit per
// chunk rather than one per statement.
const (
	demoChunkTickets  = 500
	demoChunkMessages = 5000
	// demoContactShare is how many tickets of each volume run go to the first Acme contact:
	// the listing benchmark needs one contact with exactly 50 tickets in a large company.
	demoContactShare = 50
	// demoVolumeSpread is how far back volume tickets reach.
	demoVolumeSpread = 365 * demoDay
)

// SeedDemo creates the demo data set. The base data set (accounts, companies, pipeline,
// inboxes, 30 conversations, knowledge base, consent text) is created once, in one transaction:
// a second call creates nothing and returns the same logins with Created false. The base set
// expects a database without its accounts: when one of its e-mail addresses is taken the call
// fails and nothing is written. An existing pipeline, inbox or team with a demo name is reused.
//
// With opts.Tickets > 0 it then adds that many generated tickets to Acme Corp, every call
// again, in chunked batch inserts (see seedDemoVolume). The printed passwords are only true
// as long as nobody changed them.
func (a *App) SeedDemo(ctx context.Context, opts DemoOptions) (DemoResult, error) {
	res := DemoResult{Logins: demoLogins()}
	created, err := a.seedDemoBase(ctx)
	if err != nil {
		return res, err
	}
	res.Created = created
	if opts.Tickets <= 0 {
		return res, nil
	}
	perTicket := opts.Messages
	if perTicket <= 0 {
		perTicket = 10
	}
	res.VolumeTickets, res.VolumeMessages, err = a.seedDemoVolume(ctx, opts.Tickets, perTicket)
	return res, err
}

// demoPerson is one account of the base data set.
type demoPerson struct {
	kind     string // "admin", "agent" or "contact"
	email    string
	name     string
	password string
	company  int // index into demoCompanies; -1 for none (contacts only)
	phone    string
}

// demoStaff are the staff accounts: the admin first, then the agents.
var demoStaff = []demoPerson{
	{kind: "admin", email: "demo-admin@example.com", name: "Morgan Reyes", password: "demo-admin-1"},
	{kind: "agent", email: "demo-agent-1@example.com", name: "Priya Nair", password: "demo-agent-1"},
	{kind: "agent", email: "demo-agent-2@example.com", name: "Tom Becker", password: "demo-agent-2"},
}

// demoContacts are the customers. The first Acme contact receives the fixed share of volume
// tickets.
var demoContacts = []demoPerson{
	{kind: "contact", email: "alice@acme.example", name: "Alice Moreau", password: "demo-customer-1", company: 0, phone: "+33 1 99 00 27 14"},
	{kind: "contact", email: "bruno@acme.example", name: "Bruno Ferreira", password: "demo-customer-2", company: 0},
	{kind: "contact", email: "chiara@acme.example", name: "Chiara Rossi", password: "demo-customer-3", company: 0},
	{kind: "contact", email: "dmitri@globex.example", name: "Dmitri Volkov", password: "demo-customer-4", company: 1, phone: "+49 30 23125 417"},
	{kind: "contact", email: "elena@globex.example", name: "Elena Park", password: "demo-customer-5", company: 1},
	{kind: "contact", email: "frank@example.net", name: "Frank Osei", password: "demo-customer-6", company: -1},
}

// demoCompany is one customer organisation; owner indexes demoStaff.
type demoCompany struct {
	name, domain string
	owner        int
	props        models.Props
}

// demoCompanies are the customer organisations; Acme Corp comes first and receives the volume.
var demoCompanies = []demoCompany{
	{name: "Acme Corp", domain: "acme.example", owner: 1, props: models.Props{"plan": "Business", "region": "EU"}},
	{name: "Globex", domain: "globex.example", owner: 2, props: models.Props{"plan": "Enterprise", "region": "EU"}},
}

// Names shared by the base and the volume seed.
const (
	demoSupportTeam  = "Support"
	demoBillingTeam  = "Billing"
	demoPipelineName = "Support"
	demoListName     = "Demo customers"

	demoStageNew             = "New"
	demoStageWaitingUs       = "Waiting on us"
	demoStageWaitingCustomer = "Waiting on customer"
	demoStageSolved          = "Solved"
	demoStageClosed          = "Closed"
)

// demoStageDefs are the stages of the demo pipeline, in order.
var demoStageDefs = []struct {
	name   string
	closed bool
}{
	{demoStageNew, false},
	{demoStageWaitingUs, false},
	{demoStageWaitingCustomer, false},
	{demoStageSolved, true},
	{demoStageClosed, true},
}

// demoInboxDefs are the inboxes; threads on these channels are linked to them.
var demoInboxDefs = []models.Inbox{
	{Name: "Customer portal", Channel: models.ChannelPortal},
	{Name: "Support mailbox", Channel: models.ChannelEmail, Address: "support@example.com"},
	{Name: "Website chat", Channel: models.ChannelChat},
}

// demoLogins lists every account of the base data set with its password.
func demoLogins() []DemoLogin {
	out := make([]DemoLogin, 0, len(demoStaff)+len(demoContacts))
	for _, p := range append(append([]demoPerson{}, demoStaff...), demoContacts...) {
		out = append(out, DemoLogin{Kind: p.kind, Email: p.email, Password: p.password, Name: p.name})
	}
	return out
}

// demoRefs are the rows of the base data set that later rows point to.
type demoRefs struct {
	staff     []models.StaffUser // admin, then agents
	support   models.Team
	billing   models.Team
	companies []models.Company
	contacts  []models.Contact
	pipeline  models.Pipeline
	stages    map[string]models.PipelineStage
	inboxes   map[models.Channel]int64
}

// seedDemoBase creates the base data set unless the marker says it exists, and reports
// whether it created it. The slow parts (password hashing, blob writes) happen before the
// transaction so that it stays short; blobs of a run that loses the race or fails are deleted.
func (a *App) seedDemoBase(ctx context.Context) (bool, error) {
	var marker demoMarker
	err := a.Stores.Settings.Get(ctx, demoMarkerKey, &marker)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return false, fmt.Errorf("demo: read marker: %w", err)
	}

	hashes := make(map[string]string, len(demoStaff)+len(demoContacts))
	for _, l := range demoLogins() {
		h, err := HashPassword(l.Password)
		if err != nil {
			return false, fmt.Errorf("demo: hash password: %w", err)
		}
		hashes[l.Email] = h
	}
	files, err := a.putDemoFiles(ctx)
	if err != nil {
		return false, err
	}

	now := a.Now().UTC().Truncate(time.Second)
	created := false
	err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
		ok, err := tx.Settings.PutIfAbsent(ctx, demoMarkerKey, demoMarker{Version: 1, SeededAt: now})
		if err != nil || !ok {
			return err
		}
		if err := a.seedDemoRows(ctx, tx, now, hashes, files); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil || !created {
		created = false
		for _, f := range files {
			if derr := a.Storage.Delete(context.WithoutCancel(ctx), f.StorageKey); derr != nil {
				a.Log.Warn("demo: delete unused blob", "err", derr)
			}
		}
	}
	if err != nil {
		return false, fmt.Errorf("demo: seed base data: %w", err)
	}
	if created {
		a.Log.Info("demo: base data set created", "tickets", len(demoTickets), "logins", len(hashes))
	}
	return created, nil
}

// seedDemoRows writes the base data set through tx.
func (a *App) seedDemoRows(ctx context.Context, tx *models.Stores, now time.Time,
	hashes map[string]string, files map[string]models.Attachment) error {
	r := &demoRefs{}
	if err := seedDemoPeople(ctx, tx, r, now, hashes); err != nil {
		return err
	}
	if err := seedDemoSetup(ctx, tx, r, now); err != nil {
		return err
	}
	if err := seedDemoTickets(ctx, tx, r, now, files); err != nil {
		return err
	}
	if err := seedDemoKB(ctx, tx, r, now); err != nil {
		return err
	}
	return seedDemoConsent(ctx, tx, r, now)
}

// seedDemoPeople creates the staff, teams, companies, contacts and the contact list.
func seedDemoPeople(ctx context.Context, tx *models.Stores, r *demoRefs, now time.Time, hashes map[string]string) error {
	for i, p := range demoStaff {
		at := now.Add(-time.Duration(120-i) * demoDay)
		u := models.StaffUser{Email: p.email, Name: p.name, Role: models.Role(p.kind),
			PasswordHash: hashes[p.email], Active: true, CreatedAt: at, UpdatedAt: at}
		if err := tx.Staff.Create(ctx, &u); err != nil {
			return fmt.Errorf("staff %s: %w", p.email, err)
		}
		r.staff = append(r.staff, u)
	}
	var err error
	if r.support, err = demoTeam(ctx, tx, demoSupportTeam, now, r.staff[1].ID, r.staff[2].ID); err != nil {
		return err
	}
	if r.billing, err = demoTeam(ctx, tx, demoBillingTeam, now, r.staff[0].ID, r.staff[2].ID); err != nil {
		return err
	}

	for i, c := range demoCompanies {
		at := now.Add(-time.Duration(100-i) * demoDay)
		co := models.Company{Name: c.name, Domain: c.domain, OwnerID: &r.staff[c.owner].ID,
			Properties: c.props, CreatedAt: at, UpdatedAt: at}
		if err := tx.Companies.Create(ctx, &co); err != nil {
			return fmt.Errorf("company %s: %w", c.name, err)
		}
		r.companies = append(r.companies, co)
	}

	ids := make([]int64, 0, len(demoContacts))
	for i, p := range demoContacts {
		at := now.Add(-time.Duration(90-i) * demoDay)
		verified := at.Add(7 * time.Minute)
		c := models.Contact{Email: p.email, Name: p.name, PasswordHash: hashes[p.email],
			EmailVerifiedAt: &verified, Phone: p.phone, Active: true, CreatedAt: at, UpdatedAt: at}
		if p.company >= 0 {
			c.CompanyID = &r.companies[p.company].ID
			c.OwnerID = r.companies[p.company].OwnerID
		}
		if err := tx.Contacts.Create(ctx, &c); err != nil {
			return fmt.Errorf("contact %s: %w", p.email, err)
		}
		r.contacts = append(r.contacts, c)
		ids = append(ids, c.ID)
	}
	list := models.ContactList{Name: demoListName, Kind: models.ListStatic,
		CreatedAt: now.Add(-80 * demoDay), UpdatedAt: now.Add(-80 * demoDay)}
	if err := tx.Contacts.CreateList(ctx, &list); err != nil {
		return fmt.Errorf("contact list: %w", err)
	}
	return tx.Contacts.AddToList(ctx, list.ID, ids, list.CreatedAt)
}

// demoTeam returns the team with that name, creating it with the given members if needed.
func demoTeam(ctx context.Context, tx *models.Stores, name string, now time.Time, members ...int64) (models.Team, error) {
	t, err := tx.Staff.TeamByName(ctx, name)
	if !errors.Is(err, models.ErrNotFound) {
		return t, err
	}
	at := now.Add(-110 * demoDay)
	t = models.Team{Name: name, CreatedAt: at, UpdatedAt: at}
	if err := tx.Staff.CreateTeam(ctx, &t, members); err != nil {
		return t, fmt.Errorf("team %s: %w", name, err)
	}
	return t, nil
}

// seedDemoSetup finds or creates the pipeline and the inboxes: a fresh install may already
// have made its own, and the demo tickets can live in them as well.
func seedDemoSetup(ctx context.Context, tx *models.Stores, r *demoRefs, now time.Time) error {
	p, err := demoFindPipeline(ctx, tx)
	if errors.Is(err, models.ErrNotFound) {
		at := now.Add(-110 * demoDay)
		p = models.Pipeline{Name: demoPipelineName, CreatedAt: at, UpdatedAt: at}
		for i, s := range demoStageDefs {
			p.Stages = append(p.Stages, models.PipelineStage{Name: s.name, Position: i, IsClosed: s.closed,
				CreatedAt: at, UpdatedAt: at})
		}
		err = tx.Pipelines.Create(ctx, &p)
	}
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	r.pipeline = p
	if r.stages, err = demoStagesOf(p); err != nil {
		return err
	}

	r.inboxes = make(map[models.Channel]int64, len(demoInboxDefs))
	for _, def := range demoInboxDefs {
		in, err := tx.Inboxes.ByName(ctx, def.Name)
		if errors.Is(err, models.ErrNotFound) {
			in = def
			in.Active = true
			in.CreatedAt = now.Add(-110 * demoDay)
			in.UpdatedAt = in.CreatedAt
			err = tx.Inboxes.Create(ctx, &in)
		}
		if err != nil {
			return fmt.Errorf("inbox %s: %w", def.Name, err)
		}
		r.inboxes[in.Channel] = in.ID
	}
	return nil
}

// demoFindPipeline returns the pipeline named like the demo's, with its stages.
func demoFindPipeline(ctx context.Context, s *models.Stores) (models.Pipeline, error) {
	all, err := s.Pipelines.All(ctx)
	if err != nil {
		return models.Pipeline{}, err
	}
	for _, p := range all {
		if p.Name == demoPipelineName {
			return p, nil
		}
	}
	return models.Pipeline{}, models.ErrNotFound
}

// demoStagesOf maps each demo stage name to a stage of p: the stage with that name, else the
// first stage that is open or closed alike (for a "Support" pipeline somebody else made).
func demoStagesOf(p models.Pipeline) (map[string]models.PipelineStage, error) {
	out := make(map[string]models.PipelineStage, len(demoStageDefs))
	for _, def := range demoStageDefs {
		pick, found := models.PipelineStage{}, false
		for _, s := range p.Stages { // ordered by position
			if s.IsClosed != def.closed {
				continue
			}
			if s.Name == def.name {
				pick, found = s, true
				break
			}
			if !found {
				pick, found = s, true
			}
		}
		if !found {
			return nil, fmt.Errorf("demo: pipeline %q has no stage for %q", p.Name, def.name)
		}
		out[def.name] = pick
	}
	return out, nil
}

// demoTimeline spreads n message times from ago before now over at most three quarters of
// that time (and at most four days), with a few minutes of irregularity, whole seconds only.
// The last one is always well before now, so a closing time after it is still in the past.
func demoTimeline(now time.Time, ago time.Duration, n int) []time.Time {
	start := now.Add(-ago).Truncate(time.Second)
	span := min(ago*3/4, 4*demoDay)
	out := make([]time.Time, n)
	out[0] = start
	for k := 1; k < n; k++ {
		jitter := time.Duration(k*13%29) * time.Minute
		out[k] = start.Add(span*time.Duration(k)/time.Duration(n-1) + jitter).Truncate(time.Second)
	}
	return out
}

// seedDemoTickets writes the scripted conversations: tickets in one batch (one reservation of
// numbers), then threads and messages in order, which leaves each thread's last-message time
// on its newest message. Ticket times are set before insert: created at the first message, last
// activity at the last message a customer can see.
func seedDemoTickets(ctx context.Context, tx *models.Stores, r *demoRefs, now time.Time, files map[string]models.Attachment) error {
	tickets := make([]*models.Ticket, len(demoTickets))
	timelines := make([][]time.Time, len(demoTickets))
	for i, s := range demoTickets {
		var msgs []demoMsg
		for _, th := range s.threads {
			msgs = append(msgs, th.msgs...)
		}
		times := demoTimeline(now, s.ago, len(msgs))
		timelines[i] = times
		stage := r.stages[s.stage]
		contact := r.contacts[s.contact]
		t := &models.Ticket{
			Subject: s.subject, Description: msgs[0].body,
			PipelineID: r.pipeline.ID, StageID: stage.ID, IsClosed: stage.IsClosed,
			Priority: s.priority, Category: s.category, SourceChannel: s.threads[0].channel,
			ContactID: &contact.ID, CompanyID: contact.CompanyID, Properties: models.Props{},
			CreatedAt: times[0], UpdatedAt: times[len(times)-1],
		}
		for k, m := range msgs {
			if m.from != demoNote {
				t.LastActivityAt = times[k]
			}
		}
		if s.stage != demoStageNew {
			team, owner := r.support, r.staff[1+i%2]
			if s.category == "Billing" {
				team, owner = r.billing, r.staff[2]
			}
			t.TeamID, t.OwnerID = &team.ID, &owner.ID
		} else {
			t.TeamID = &r.support.ID
		}
		if stage.IsClosed {
			closed := times[len(times)-1].Add(45 * time.Minute)
			t.ClosedAt, t.UpdatedAt = &closed, closed
		}
		tickets[i] = t
	}
	if err := tx.Tickets.CreateBatch(ctx, tickets); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}

	for i, s := range demoTickets {
		t, times, k := tickets[i], timelines[i], 0
		staffID := r.staff[0].ID // notes on unassigned tickets come from the admin
		if t.OwnerID != nil {
			staffID = *t.OwnerID
		}
		for _, spec := range s.threads {
			th := models.Thread{TicketID: t.ID, Channel: spec.channel, CreatedAt: times[k], LastMessageAt: times[k]}
			if id, ok := r.inboxes[spec.channel]; ok {
				th.InboxID = &id
			}
			if err := tx.Tickets.CreateThread(ctx, &th); err != nil {
				return fmt.Errorf("thread of %s: %w", t.Ref(), err)
			}
			for _, spec := range spec.msgs {
				m := models.Message{ThreadID: th.ID, TicketID: t.ID, Body: spec.body, CreatedAt: times[k]}
				if spec.from == demoCustomer {
					m.AuthorKind, m.AuthorContactID = models.AuthorContact, t.ContactID
				} else {
					m.AuthorKind, m.AuthorStaffID, m.IsInternal = models.AuthorStaff, &staffID, spec.from == demoNote
				}
				if spec.attach != "" {
					f, ok := files[spec.attach]
					if !ok {
						return fmt.Errorf("demo: no file %q", spec.attach)
					}
					f.CreatedAt = times[k]
					m.Attachments = []models.Attachment{f}
				}
				if err := tx.Tickets.AddMessage(ctx, &m); err != nil {
					return fmt.Errorf("message of %s: %w", t.Ref(), err)
				}
				k++
			}
		}
	}
	return nil
}

// seedDemoKB writes the knowledge base: three categories, published articles and one draft.
func seedDemoKB(ctx context.Context, tx *models.Stores, r *demoRefs, now time.Time) error {
	cats := make(map[string]int64, len(demoKBCategories))
	for i, c := range demoKBCategories {
		at := now.Add(-95 * demoDay)
		row := models.KBCategory{Slug: c.slug, Name: c.name, Description: c.description, Position: i,
			CreatedAt: at, UpdatedAt: at}
		if err := tx.KB.CreateCategory(ctx, &row); err != nil {
			return fmt.Errorf("kb category %s: %w", c.slug, err)
		}
		cats[c.slug] = row.ID
	}
	for i, art := range demoKBArticles {
		at := now.Add(-time.Duration(80-9*i) * demoDay)
		author := r.staff[i%len(r.staff)].ID
		row := models.KBArticle{CategoryID: cats[art.category], Slug: art.slug, Title: art.title,
			Body: art.body, Status: models.ArticleDraft, AuthorID: &author,
			HelpfulYes: art.helpfulYes, HelpfulNo: art.helpfulNo, CreatedAt: at, UpdatedAt: at}
		if art.published {
			published := at.Add(3 * time.Hour)
			row.Status, row.PublishedAt, row.UpdatedAt = models.ArticlePublished, &published, published
		}
		if err := tx.KB.CreateArticle(ctx, &row); err != nil {
			return fmt.Errorf("kb article %s: %w", art.slug, err)
		}
	}
	return nil
}

// seedDemoConsent publishes the consent text unless one exists, and records that every demo
// contact agreed to it when their account was made, as signing up on the portal would have.
func seedDemoConsent(ctx context.Context, tx *models.Stores, r *demoRefs, now time.Time) error {
	_, err := tx.Consent.Current(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	text := models.ConsentText{Notice: demoConsentNotice, CheckboxLabel: demoConsentLabel,
		CreatedByID: &r.staff[0].ID, CreatedAt: now.Add(-115 * demoDay)}
	if err := tx.Consent.Publish(ctx, &text); err != nil {
		return fmt.Errorf("consent text: %w", err)
	}
	for i, c := range r.contacts {
		rec := models.ConsentRecord{ContactID: c.ID, ConsentTextID: &text.ID, Version: text.Version,
			Notice: text.Notice, CheckboxLabel: text.CheckboxLabel,
			IP: fmt.Sprintf("203.0.113.%d", 20+i), UserAgent: "Mozilla/5.0 (demo data)", CreatedAt: c.CreatedAt}
		if err := tx.Consent.Record(ctx, &rec); err != nil {
			return fmt.Errorf("consent record: %w", err)
		}
	}
	return nil
}

// demoFile is an attachment of the base data set.
type demoFile struct {
	name, contentType string
	content           func() ([]byte, error)
}

// putDemoFiles writes the demo attachments to storage and returns their rows-to-be by file
// name, with the size and SHA-256 the storage measured.
func (a *App) putDemoFiles(ctx context.Context) (map[string]models.Attachment, error) {
	out := make(map[string]models.Attachment, len(demoFiles))
	for _, f := range demoFiles {
		b, err := f.content()
		if err == nil {
			var key, sum string
			var size int64
			key, size, sum, err = a.Storage.Put(ctx, bytes.NewReader(b))
			out[f.name] = models.Attachment{PublicID: demoPublicID(), Filename: f.name, Size: size,
				ContentType: f.contentType, StorageKey: key, SHA256: sum}
		}
		if err != nil {
			for _, done := range out {
				if done.StorageKey == "" {
					continue
				}
				if derr := a.Storage.Delete(context.WithoutCancel(ctx), done.StorageKey); derr != nil {
					a.Log.Warn("demo: delete unused blob", "err", derr)
				}
			}
			return nil, fmt.Errorf("demo: store %s: %w", f.name, err)
		}
	}
	return out, nil
}

// demoPublicID returns a random 128-bit attachment handle for URLs.
func demoPublicID() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// demoText returns a file body for demoFiles.
func demoText(s string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(s), nil }
}

// demoScreenshot draws a small stand-in for a screenshot: a window with a coloured title bar,
// grey lines of "text" and a red error banner.
func demoScreenshot(accent color.RGBA) func() ([]byte, error) {
	return func() ([]byte, error) {
		img := image.NewRGBA(image.Rect(0, 0, 240, 160))
		fill := func(r image.Rectangle, c color.RGBA) {
			draw.Draw(img, r, &image.Uniform{C: c}, image.Point{}, draw.Src)
		}
		fill(img.Bounds(), color.RGBA{R: 245, G: 246, B: 248, A: 255})
		fill(image.Rect(0, 0, 240, 18), accent)
		for y := 30; y < 118; y += 14 {
			fill(image.Rect(12, y, 228-(y%3)*30, y+7), color.RGBA{R: 208, G: 213, B: 221, A: 255})
		}
		fill(image.Rect(12, 128, 228, 148), color.RGBA{R: 214, G: 51, B: 65, A: 255})
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
}

// seedDemoVolume adds n generated tickets with perTicket messages each to Acme Corp and
// returns how many tickets and messages it added. It works in chunks, each one transaction:
// tickets in one batch (CreateBatch reserves their numbers at once), then their threads, then
// their messages, with every time already set in the rows (created, last activity, closed), so
// no row is updated afterwards. Tickets spread over the last year in number order; the first
// Acme contact gets min(n, 50) of them spread evenly, the other Acme contacts the rest.
func (a *App) seedDemoVolume(ctx context.Context, n, perTicket int) (int, int, error) {
	env, err := a.demoVolumeEnv(ctx)
	if err != nil {
		return 0, 0, err
	}
	now := a.Now().UTC().Truncate(time.Second)
	rng := mathrand.New(mathrand.NewPCG(uint64(now.UnixNano()), uint64(n)))
	chunk := max(1, min(demoChunkTickets, demoChunkMessages/perTicket))
	began := time.Now()
	logged := began
	a.Log.Info("demo: adding volume", "company", env.company.Name, "tickets", n, "messages_per_ticket", perTicket)

	tickets, messages := 0, 0
	for tickets < n {
		if err := ctx.Err(); err != nil {
			return tickets, messages, err
		}
		c := env.chunk(rng, now, tickets, min(chunk, n-tickets), n, perTicket)
		if err := a.Stores.InTx(ctx, c.insert(ctx)); err != nil {
			return tickets, messages, fmt.Errorf("demo: volume tickets %d–%d: %w", tickets+1, tickets+len(c.tickets), err)
		}
		tickets += len(c.tickets)
		messages += len(c.messages)
		if time.Since(logged) >= 2*time.Second || tickets == n {
			logged = time.Now()
			a.Log.Info("demo: volume progress", "tickets", tickets, "total", n, "messages", messages,
				"elapsed", time.Since(began).Round(time.Millisecond))
		}
	}
	return tickets, messages, nil
}

// demoVolumeEnv is what generated tickets point to, read from the base data set.
type demoVolumeEnv struct {
	company  models.Company
	contacts []models.Contact // Acme contacts in demo order; the first gets the fixed share
	agents   []models.StaffUser
	support  models.Team
	billing  models.Team
	pipeline models.Pipeline
	stages   map[string]models.PipelineStage
	inboxes  map[models.Channel]int64
}

// demoVolumeEnv loads the rows generated tickets refer to.
func (a *App) demoVolumeEnv(ctx context.Context) (*demoVolumeEnv, error) {
	s := a.Stores
	env := &demoVolumeEnv{inboxes: map[models.Channel]int64{}}
	var err error
	if env.company, err = s.Companies.ByName(ctx, demoCompanies[0].name); err != nil {
		return nil, fmt.Errorf("demo: company %s: %w", demoCompanies[0].name, err)
	}
	for _, p := range demoContacts {
		if p.company != 0 {
			continue
		}
		c, err := s.Contacts.ByEmail(ctx, p.email)
		if err != nil {
			return nil, fmt.Errorf("demo: contact %s: %w", p.email, err)
		}
		env.contacts = append(env.contacts, c)
	}
	for _, p := range demoStaff[1:] {
		u, err := s.Staff.ByEmail(ctx, p.email)
		if err != nil {
			return nil, fmt.Errorf("demo: agent %s: %w", p.email, err)
		}
		env.agents = append(env.agents, u)
	}
	if env.support, err = s.Staff.TeamByName(ctx, demoSupportTeam); err != nil {
		return nil, fmt.Errorf("demo: team %s: %w", demoSupportTeam, err)
	}
	if env.billing, err = s.Staff.TeamByName(ctx, demoBillingTeam); err != nil {
		return nil, fmt.Errorf("demo: team %s: %w", demoBillingTeam, err)
	}
	if env.pipeline, err = demoFindPipeline(ctx, s); err != nil {
		return nil, fmt.Errorf("demo: pipeline %s: %w", demoPipelineName, err)
	}
	if env.stages, err = demoStagesOf(env.pipeline); err != nil {
		return nil, err
	}
	for _, def := range demoInboxDefs {
		in, err := s.Inboxes.ByName(ctx, def.Name)
		if errors.Is(err, models.ErrNotFound) {
			continue // threads on that channel simply have no inbox
		}
		if err != nil {
			return nil, fmt.Errorf("demo: inbox %s: %w", def.Name, err)
		}
		env.inboxes[in.Channel] = in.ID
	}
	return env, nil
}

// demoChunk is one transaction's worth of generated rows. Messages are in ticket order,
// perTicket each; IDs are filled in as the rows they point to are inserted.
type demoChunk struct {
	tickets   []*models.Ticket
	threads   []*models.Thread
	messages  []*models.Message
	perTicket int
}

// insert returns the transaction body that writes the chunk.
func (c *demoChunk) insert(ctx context.Context) func(tx *models.Stores) error {
	return func(tx *models.Stores) error {
		if err := tx.Tickets.CreateBatch(ctx, c.tickets); err != nil {
			return err
		}
		for j, th := range c.threads {
			th.TicketID = c.tickets[j].ID
		}
		if err := tx.Tickets.InsertThreads(ctx, c.threads); err != nil {
			return err
		}
		for k, m := range c.messages {
			j := k / c.perTicket
			m.TicketID, m.ThreadID = c.tickets[j].ID, c.threads[j].ID
		}
		return tx.Tickets.InsertMessages(ctx, c.messages)
	}
}

// chunk builds size generated tickets starting at index first of a run of n.
func (env *demoVolumeEnv) chunk(rng *mathrand.Rand, now time.Time, first, size, n, perTicket int) *demoChunk {
	c := &demoChunk{
		tickets:   make([]*models.Ticket, size),
		threads:   make([]*models.Thread, size),
		messages:  make([]*models.Message, size*perTicket),
		perTicket: perTicket,
	}
	ticketRows := make([]models.Ticket, size)
	threadRows := make([]models.Thread, size)
	messageRows := make([]models.Message, size*perTicket)
	share := min(n, demoContactShare)
	others := env.contacts[1:]
	if len(others) == 0 {
		others = env.contacts
	}
	times := make([]time.Time, perTicket)

	for j := range size {
		i := first + j // index in the run
		// Pointers into env, shared by every row: the rows only read them.
		contact := &others[i%len(others)]
		// Exactly share indexes in [0, n) pass this test, evenly spaced.
		if (i+1)*share/n != i*share/n {
			contact = &env.contacts[0]
		}
		topic := demoVolumeTopics[rng.IntN(len(demoVolumeTopics))]
		owner := &env.agents[i%len(env.agents)]
		team := &env.support
		if topic.category == "Billing" {
			team = &env.billing
		}

		// Message times: irregular gaps of 10 minutes to a day, ending at a point of the last
		// year that moves forward with i, so higher numbers are mostly newer.
		end := now.Add(-demoVolumeSpread + time.Duration((float64(i)+rng.Float64())/float64(n)*float64(demoVolumeSpread))).Truncate(time.Second)
		times[perTicket-1] = end
		for k := perTicket - 1; k > 0; k-- {
			gap := 10*time.Minute + time.Duration(rng.Int64N(int64(24*time.Hour/time.Second)))*time.Second
			times[k-1] = times[k].Add(-gap)
		}
		note := -1
		if perTicket >= 4 && i%4 == 0 {
			note = 3 // an internal note in place of the second agent reply
		}
		lastVisible := perTicket - 1
		if lastVisible == note {
			lastVisible--
		}

		var closed bool
		age := now.Sub(times[lastVisible])
		switch {
		case age > 14*demoDay:
			closed = rng.IntN(10) < 9
		default:
			closed = rng.IntN(5) == 0
		}
		var stage models.PipelineStage
		switch {
		case closed && age < 30*demoDay:
			stage = env.stages[demoStageSolved]
		case closed:
			stage = env.stages[demoStageClosed]
		case lastVisible == 0:
			stage = env.stages[demoStageNew]
		case lastVisible%2 == 0: // the customer wrote last
			stage = env.stages[demoStageWaitingUs]
		default:
			stage = env.stages[demoStageWaitingCustomer]
		}

		t := &ticketRows[j]
		*t = models.Ticket{
			Subject: topic.subject, Description: topic.first,
			PipelineID: env.pipeline.ID, StageID: stage.ID, IsClosed: stage.IsClosed,
			Priority: demoPick(rng, demoVolumePriorities), Category: topic.category,
			SourceChannel: demoPick(rng, demoVolumeChannels),
			OwnerID:       &owner.ID, TeamID: &team.ID, ContactID: &contact.ID, CompanyID: &env.company.ID,
			Properties: models.Props{}, CreatedAt: times[0], UpdatedAt: times[perTicket-1],
			LastActivityAt: times[lastVisible],
		}
		if stage.IsClosed {
			at := times[perTicket-1].Add(5*time.Minute + time.Duration(rng.IntN(7200))*time.Second)
			if at.After(now) {
				at = now
			}
			t.ClosedAt, t.UpdatedAt = &at, at
		}
		c.tickets[j] = t

		th := &threadRows[j]
		*th = models.Thread{Channel: t.SourceChannel, CreatedAt: times[0], LastMessageAt: times[perTicket-1]}
		if id, ok := env.inboxes[t.SourceChannel]; ok {
			th.InboxID = &id
		}
		c.threads[j] = th

		for k := range perTicket {
			m := &messageRows[j*perTicket+k]
			*m = models.Message{CreatedAt: times[k]}
			switch {
			case k == 0:
				m.AuthorKind, m.AuthorContactID, m.Body = models.AuthorContact, &contact.ID, topic.first
			case k == note:
				m.AuthorKind, m.AuthorStaffID, m.IsInternal = models.AuthorStaff, &owner.ID, true
				m.Body = demoVolumeNotes[rng.IntN(len(demoVolumeNotes))]
			case k%2 == 1:
				m.AuthorKind, m.AuthorStaffID = models.AuthorStaff, &owner.ID
				m.Body = demoVolumeAgentLines[rng.IntN(len(demoVolumeAgentLines))]
			default:
				m.AuthorKind, m.AuthorContactID = models.AuthorContact, &contact.ID
				m.Body = demoVolumeCustomerLines[rng.IntN(len(demoVolumeCustomerLines))]
			}
			c.messages[j*perTicket+k] = m
		}
	}
	return c
}

// demoWeighted is a value with a relative weight, for demoPick.
type demoWeighted[T any] struct {
	v T
	w int
}

// demoPick returns one of choices with probability proportional to its weight.
func demoPick[T any](rng *mathrand.Rand, choices []demoWeighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	r := rng.IntN(total)
	for _, c := range choices {
		if r < c.w {
			return c.v
		}
		r -= c.w
	}
	return choices[len(choices)-1].v
}

// The scripted content of the base data set. All of it is invented for Portico.

// demoFrom says who writes a scripted message.
type demoFrom int

const (
	demoCustomer demoFrom = iota // the ticket's contact
	demoAgent                    // the ticket's owner, visible to the customer
	demoNote                     // an internal note by the owner (or the admin), staff only
)

// demoMsg is one scripted message; attach names an entry of demoFiles.
type demoMsg struct {
	from   demoFrom
	body   string
	attach string
}

// demoC, demoA and demoN write a message by the customer, by the agent, and an internal note.
func demoC(body string) demoMsg { return demoMsg{from: demoCustomer, body: body} }
func demoA(body string) demoMsg { return demoMsg{from: demoAgent, body: body} }
func demoN(body string) demoMsg { return demoMsg{from: demoNote, body: body} }

// with attaches a demo file to the message.
func (m demoMsg) with(file string) demoMsg { m.attach = file; return m }

// demoThreadSpec is one scripted conversation thread.
type demoThreadSpec struct {
	channel models.Channel
	msgs    []demoMsg
}

// demoTicket is one scripted ticket. ago is how long before the seed its first message was
// written; the stage is chosen to match who wrote last.
type demoTicket struct {
	contact  int // index into demoContacts
	subject  string
	category string
	priority models.Priority
	stage    string
	ago      time.Duration
	threads  []demoThreadSpec
}

// demoOn builds a thread on a channel.
func demoOn(ch models.Channel, msgs ...demoMsg) demoThreadSpec {
	return demoThreadSpec{channel: ch, msgs: msgs}
}

var demoTickets = []demoTicket{
	{contact: 0, subject: "Export to CSV stops at 1,000 rows", category: "Bug", priority: models.PriorityHigh,
		stage: demoStageWaitingUs, ago: 3 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("Hi, when I export the order report to CSV the file always ends after exactly 1,000 rows, but the screen says we have 2,417 orders this quarter. Same result in Chrome and Firefox. Is there a limit somewhere?"),
			demoA("Hi Alice, thanks for the detail, the exact count helps a lot. Exports are assembled page by page on our side and it looks like only the first page makes it into the file. Which date range and filters did you use, so I can reproduce it?"),
			demoN("Reproduced on staging with any range over 1,000 rows: the paging cursor is dropped after the first page. Filed as EXP-212."),
			demoC("Date range from the start of the quarter until today, filter 'status: shipped'. I attached the file I got so you can see where it stops.").with("orders-export.csv"),
		)}},
	{contact: 1, subject: "Invoice shows our old VAT number", category: "Billing", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 12 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("Hello, our latest invoice lists VAT number IT01234567890, which is our old one. The current number is IT09876543210. Could you reissue the invoice? Our accounting department cannot book it as it is."),
			demoA("Hi Bruno, I've updated the VAT number on your billing profile and reissued the invoice with the suffix -R; you'll find it under Billing → Invoices. The original is voided, and future invoices carry the new number."),
			demoC("Got it, thank you. Accounting confirmed it's fine now."),
		)}},
	{contact: 2, subject: "How do I add a colleague to our account?", category: "How-to", priority: models.PriorityNormal,
		stage: demoStageWaitingCustomer, ago: 1 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelChat,
			demoC("Hi! How can I give my colleague access to our tickets? She just joined the team."),
			demoA("Hi Chiara! Your company admin can invite her under Settings → Team members → Invite. If you'd rather we do it, send me her name and e-mail address and I'll set it up."),
		)}},
	{contact: 3, subject: "API returns 502 on every request since this morning", category: "Bug", priority: models.PriorityUrgent,
		stage: demoStageWaitingCustomer, ago: 2 * demoDay, threads: []demoThreadSpec{
			demoOn(models.ChannelEmail,
				demoC("All calls to /v2/shipments have returned 502 Bad Gateway since about 07:40 UTC. Our warehouse is blocked. Request ID of the last failure: 7f3c9e21."),
				demoN("The EU gateway got a bad deploy at 07:35. Infrastructure is rolling back, about 20 minutes."),
				demoA("Hi Dmitri, the request ID led us straight to the cause: a faulty gateway release in our EU region is answering with 502. We are rolling it back now and I'll update you within 30 minutes."),
				demoC("Thanks. Please let me know as soon as it's back."),
				demoA("The rollback finished and error rates are back to normal. Could you confirm that your warehouse sync has recovered?"),
			),
			demoOn(models.ChannelChat,
				demoC("Following up in the chat: the shipment sync works again, but 14 orders from this morning are stuck as 'pending'."),
				demoA("Thanks for checking. I've queued those 14 orders again on our side; they should move to 'confirmed' within a few minutes. Let me know if any of them stay pending."),
			),
		}},
	{contact: 4, subject: "Dark mode for the dashboard", category: "Feature request", priority: models.PriorityLow,
		stage: demoStageClosed, ago: 25 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("Our night shift keeps the dashboard open all the time. Any chance of a dark mode?"),
			demoA("Hi Elena, thanks for the suggestion! I've added your vote to the dark mode request, which is on the roadmap for later this year. I'm closing this ticket for now; we'll announce it in the release notes when it ships."),
		)}},
	{contact: 5, subject: "Can't sign in after changing my phone", category: "Account", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 5 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelWhatsApp,
			demoC("Hi, I got a new phone and the codes from my authenticator app don't work any more. I can't get into my account."),
			demoA("Hi Frank, sorry about the trouble. Before I reset two-factor authentication I need to make sure it's you: please send me the last four digits of the card on file and the month you signed up."),
			demoC("The card ends in 4417 and I signed up in September."),
			demoN("Checked against the billing profile: card 4417, sign-up in September. OK to reset 2FA."),
			demoA("Thanks, that matches. I've reset two-factor authentication; the next time you sign in you'll be asked to set it up on your new phone."),
			demoC("Worked, thanks a lot!"),
		)}},
	{contact: 0, subject: "Slack notifications stopped arriving", category: "Integrations", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 8 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("Since last week we no longer get ticket notifications in our #support-alerts channel in Slack. Screenshot of the integration page attached.").with("slack-integration.png"),
			demoA("Hi Alice, the screenshot shows that the Slack connection expired. Slack revokes the token when the person who installed the app leaves the workspace. Please reconnect under Settings → Integrations → Slack with an account that will stay around."),
			demoC("That was it: our former IT manager had set it up. Reconnected, and the messages are coming in again."),
		)}},
	{contact: 1, subject: "Charged twice for the annual plan", category: "Billing", priority: models.PriorityHigh,
		stage: demoStageWaitingUs, ago: 4 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("Our card was charged twice yesterday, 2,400.00 EUR each time. Please refund one of the charges."),
			demoA("Hi Bruno, I can see both charges: the second one came from a payment retry that should have been cancelled. I've asked our payments team to refund it. Refunds take 5 to 10 business days to show on the statement."),
			demoN("Refund requested with the payment provider. It needs finance approval because it is over 1,000 EUR."),
			demoC("Thank you. Can you send us a confirmation that we can forward to our bank?"),
		)}},
	{contact: 2, subject: "Webhook signature verification fails", category: "Integrations", priority: models.PriorityNormal,
		stage: demoStageClosed, ago: 15 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelAPI,
			demoC("We verify webhook signatures with the secret from the dashboard, but the HMAC never matches. We compute HMAC-SHA256 over the JSON body."),
			demoA("Hi Chiara, the signature covers the raw request body exactly as sent, before any JSON parsing. If your framework parses and re-serialises the body, whitespace and key order change and the HMAC no longer matches. Could you try with the raw bytes?"),
			demoC("That was it: our middleware parsed the JSON first. It works now."),
			demoA("Great to hear! I'm closing this ticket; just reply if anything else comes up."),
		)}},
	{contact: 3, subject: "Please send invoices to our accounts payable team", category: "Billing", priority: models.PriorityNormal,
		stage: demoStageClosed, ago: 30 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("From now on, please send our invoices to accounts-payable@globex.example instead of to me."),
			demoA("Hi Dmitri, done: starting with the next billing cycle, invoices go to accounts-payable@globex.example. You will keep receiving service notifications."),
		)}},
	{contact: 4, subject: "Bulk import of products from a spreadsheet", category: "How-to", priority: models.PriorityNormal,
		stage: demoStageWaitingCustomer, ago: 6 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelChat,
			demoC("Is there a way to import 300 products at once? Adding them one by one is painful."),
			demoA("Hi Elena, yes: Catalog → Import accepts a CSV file. I've attached a template with the required columns; the SKU column must be unique.").with("product-import-template.csv"),
			demoC("Thanks! Do image links work in the import too?"),
			demoA("They do: put one or more URLs in the image_urls column, separated by spaces. The images are downloaded in the background after the import."),
		)}},
	{contact: 5, subject: "Receipt with my company name", category: "Billing", priority: models.PriorityLow,
		stage: demoStageClosed, ago: 40 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("Could I get a receipt with my company name on it? I need it for my tax return."),
			demoA("Hi Frank, you can add a company name under Billing → Billing details; all receipts, including past ones, are then generated with it. Your latest receipt is available there as a PDF."),
			demoC("Found it, thanks."),
		)}},
	{contact: 0, subject: "Scheduled report arrives an hour late", category: "Bug", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 20 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelCustom,
			demoC("Our weekly report is scheduled for 08:00, but since the clock change it arrives at 09:00 (Europe/Paris)."),
			demoN("Known daylight saving bug in the scheduler, fixed in the release that went out yesterday."),
			demoA("Hi Alice, thanks for reporting it. Reports scheduled before the daylight saving change kept the old UTC offset; yesterday's release fixes this and your schedule runs at 08:00 Paris time again."),
			demoC("Confirmed, today's report arrived at 08:00."),
		)}},
	{contact: 1, subject: "Read-only access for an external auditor", category: "Account", priority: models.PriorityNormal,
		stage: demoStageWaitingCustomer, ago: 9 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("An external auditor needs to look at our orders for two weeks. Can we give him read-only access?"),
			demoA("Hi Bruno, yes: invite him with the 'Viewer' role and set an expiry date on the invitation. Viewers can see orders and reports but cannot change anything or export customer data."),
		)}},
	{contact: 2, subject: "Orders page doesn't load on mobile", category: "Bug", priority: models.PriorityHigh,
		stage: demoStageWaitingUs, ago: 2 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelWhatsApp,
			demoC("On my iPhone the orders page keeps spinning and never loads. On the desktop it's fine."),
			demoA("Hi Chiara, sorry about that. Which iOS version are you on, and does it happen on Wi-Fi and mobile data alike?"),
			demoC("iOS 17.4, on both Wi-Fi and 4G. Screenshot attached.").with("orders-mobile.png"),
			demoN("Looks like the Safari date parsing problem from the last sprint. Asked the mobile team to confirm."),
		)}},
	{contact: 3, subject: "Invoice export for our ERP", category: "Feature request", priority: models.PriorityNormal,
		stage: demoStageClosed, ago: 50 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("Do you plan a direct export of invoices to SAP Business One?"),
			demoA("Hi Dmitri, a native SAP connector is not planned this year, but the accounting export under Billing → Export produces the SAP Business One import format. I've passed your interest on to the product team."),
			demoC("Good enough for now, we'll use the export."),
		)}},
	{contact: 4, subject: "Alert about a sign-in I didn't make", category: "Account", priority: models.PriorityUrgent,
		stage: demoStageWaitingUs, ago: 1 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("A few minutes ago I received an alert about a sign-in from another country. That wasn't me. What should I do?"),
			demoA("Hi Elena, as a precaution I've signed out every session on your account. Please change your password now and turn on two-factor authentication. Does anyone else know your password?"),
			demoN("The sign-in came from an address range we've seen in credential stuffing attempts. Reported to security."),
			demoC("Password changed and two-factor authentication is on. Nobody else knows it, but I had used the same password on another site. Lesson learned."),
		)}},
	{contact: 5, subject: "Order confirmations in Portuguese", category: "How-to", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 11 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelChat,
			demoC("My customers are in Portugal. Can the order confirmation e-mails be in Portuguese?"),
			demoA("Hi Frank, yes: under Settings → Notifications, choose 'Português' as the default language. Customers who have a language set on their profile get that one instead."),
			demoC("Perfect, switched it."),
		)}},
	{contact: 0, subject: "HTTP 429 when syncing orders", category: "Integrations", priority: models.PriorityLow,
		stage: demoStageClosed, ago: 35 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelAPI,
			demoC("We get HTTP 429 when we sync orders every minute. What is the limit?"),
			demoA("Hi Alice, the orders endpoint allows 120 requests per minute per API key. Instead of fetching everything each minute, use the updated_since parameter, or subscribe to the order.updated webhook and skip polling altogether."),
			demoC("We switched to the webhook: no more 429s."),
			demoA("Excellent, closing this one. Thanks for letting us know!"),
		)}},
	{contact: 1, subject: "Switch from monthly to annual billing", category: "Billing", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 18 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("We'd like to move to annual billing. Is the unused part of this month credited?"),
			demoA("Hi Bruno, yes: the unused days of the current month are credited against the first annual invoice. I've switched your plan, and the annual invoice will be issued tomorrow."),
			demoN("Applied the prorated credit of 63.20 EUR by hand; the billing job skips it for legacy plans."),
			demoC("Great, thanks for the quick help."),
		)}},
	{contact: 2, subject: "Two e-mails for every new order", category: "Bug", priority: models.PriorityNormal,
		stage: demoStageWaitingCustomer, ago: 7 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("Every new order sends us two identical notification e-mails."),
			demoA("Hi Chiara, your account has two notification rules for 'order created': one from the original setup and one created last month. Shall I remove the older one?"),
		)}},
	{contact: 3, subject: "Printing packing slips in bulk", category: "How-to", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 13 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelWhatsApp,
			demoC("Can I print packing slips for 50 orders at once?"),
			demoA("Hi Dmitri, yes: select the orders in the list, then choose Actions → Print packing slips. They come as one PDF."),
			demoC("Found it, thanks."),
		)}},
	{contact: 4, subject: "Stock levels not updated after returns", category: "Bug", priority: models.PriorityHigh,
		stage: demoStageWaitingUs, ago: 10 * demoDay, threads: []demoThreadSpec{
			demoOn(models.ChannelPortal,
				demoC("When we process a return, the product's stock level stays the same. We have to correct it by hand every time."),
				demoA("Hi Elena, thanks for reporting this. Do you create the returns on the Returns page or through the API?"),
				demoC("On the Returns page, with 'restock' ticked."),
				demoN("Confirmed: the restock option is ignored when the return is only partially refunded. Handed to the developers."),
			),
			demoOn(models.ChannelEmail,
				demoA("Hi Elena, following up by e-mail as promised: the restock option is ignored when a return is only partially refunded. A fix is planned for next week's release; until then, returns with a full refund restock correctly."),
				demoC("Thanks for the explanation. Please let us know when the fix is live."),
			),
		}},
	{contact: 5, subject: "PayPal as a payment option", category: "Feature request", priority: models.PriorityLow,
		stage: demoStageClosed, ago: 55 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("Many of my customers ask to pay with PayPal. Is that possible?"),
			demoA("Hi Frank, PayPal is available on the Business plan and above. You're on Starter; after an upgrade you can connect PayPal under Settings → Payments."),
			demoC("OK, I'll think about upgrading. Thanks."),
		)}},
	{contact: 0, subject: "Transfer account ownership to me", category: "Account", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 16 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelChat,
			demoC("Our CEO created the account, but I manage it now. Can the ownership be moved to me?"),
			demoN("An ownership transfer needs confirmation from the current owner."),
			demoA("Hi Alice, we can do that as soon as the current owner confirms. I've sent them an e-mail with a confirmation link; once they click it, you become the owner."),
			demoC("He confirmed this morning."),
			demoA("Thank you. You are now the account owner and can reach the billing and security settings."),
		)}},
	{contact: 1, subject: "OAuth sign-in fails with redirect_uri_mismatch", category: "Integrations", priority: models.PriorityNormal,
		stage: demoStageWaitingCustomer, ago: 3 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelAPI,
			demoC("Our OAuth sign-in returns 'redirect_uri_mismatch'. We registered https://app.acme.example/callback."),
			demoA("Hi Bruno, your client sends https://app.acme.example/callback/ with a trailing slash. Redirect URIs must match exactly: register both forms, or remove the slash from the client configuration."),
		)}},
	{contact: 2, subject: "Where is the API documentation?", category: "How-to", priority: models.PriorityLow,
		stage: demoStageClosed, ago: 45 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("I'm looking for the API documentation for our developers."),
			demoA("Hi Chiara, the API reference is in the knowledge base under Integrations, and your developers can create API keys under Settings → API."),
		)}},
	{contact: 3, subject: "Barcode scanner submits the search too early", category: "Bug", priority: models.PriorityHigh,
		stage: demoStageWaitingUs, ago: 6 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelCustom,
			demoC("Since the last update our barcode scanners send an Enter that submits the search before the whole code has been read."),
			demoA("Hi Dmitri, which scanner model do you use, and is it connected over USB or Bluetooth?"),
			demoC("Zebra DS2208 over USB. I attached the scanner's configuration export.").with("scanner-config.txt"),
		)}},
	{contact: 4, subject: "Quote for 20 more seats", category: "Billing", priority: models.PriorityNormal,
		stage: demoStageSolved, ago: 22 * demoDay, threads: []demoThreadSpec{demoOn(models.ChannelEmail,
			demoC("We're opening a second warehouse and need 20 more seats. Can you send us a quote?"),
			demoA("Hi Elena, I've e-mailed you quote Q-112 for 20 additional seats on your current plan, including the 15% volume discount. It is valid for 30 days."),
			demoC("The quote is approved, please go ahead."),
			demoA("Done: the 20 seats are active, and the prorated amount will be on your next invoice."),
		)}},
	{contact: 5, subject: "Images missing from the product gallery", category: "Bug", priority: models.PriorityNormal,
		stage: demoStageNew, ago: 12 * time.Hour, threads: []demoThreadSpec{demoOn(models.ChannelPortal,
			demoC("Since this morning the product gallery on my shop shows grey boxes instead of the pictures. The images are still there in the editor."),
			demoN("Not assigned yet. Possibly the image CDN problem from this morning; whoever picks this up, check the status page first."),
		)}},
}

// demoFiles are the attachments of the scripted conversations.
var demoFiles = []demoFile{
	{name: "orders-export.csv", contentType: "text/csv", content: demoText(
		"order_id,status,items,total_eur\n" +
			"A-10231,shipped,3,412.50\n" +
			"A-10232,shipped,1,89.00\n" +
			"A-10236,shipped,12,1530.75\n" +
			"A-10240,shipped,2,164.20\n" +
			"A-10241,shipped,5,640.00\n" +
			"A-10247,shipped,1,42.90\n" +
			"A-10252,shipped,7,918.35\n")},
	{name: "slack-integration.png", contentType: "image/png",
		content: demoScreenshot(color.RGBA{R: 74, G: 21, B: 75, A: 255})},
	{name: "product-import-template.csv", contentType: "text/csv", content: demoText(
		"sku,name,price_eur,stock,image_urls\n" +
			"SKU-0001,Example product,19.90,25,https://cdn.example.com/img/sku-0001.jpg\n")},
	{name: "orders-mobile.png", contentType: "image/png",
		content: demoScreenshot(color.RGBA{R: 13, G: 110, B: 253, A: 255})},
	{name: "scanner-config.txt", contentType: "text/plain; charset=utf-8", content: demoText(
		"# Scanner configuration export\n" +
			"model=DS2208-SR\n" +
			"interface=USB HID keyboard\n" +
			"suffix_1=<CR>\n" +
			"suffix_2=<none>\n" +
			"transmission=<DATA><SUFFIX1>\n" +
			"beeper_volume=medium\n")},
}

var demoKBCategories = []struct{ slug, name, description string }{
	{"getting-started", "Getting started", "The basics of asking for help and following your requests."},
	{"account-billing", "Account and billing", "Sign-in, passwords, invoices and payment details."},
	{"integrations", "Integrations", "Connecting your systems: the API, webhooks and chat tools."},
}

// demoKBArticles are the knowledge-base articles in Markdown; the last one is a draft.
var demoKBArticles = []struct {
	category, slug, title, body string
	published                   bool
	helpfulYes, helpfulNo       int
}{
	{"getting-started", "submit-a-request", "How to submit a support request", `Signed in to the portal, choose **New request** and tell us:

1. what you were trying to do,
2. what happened instead,
3. anything that helps us see it too: an order number, a screenshot, the time it happened.

You can also write to **support@example.com**; the e-mail becomes a request in the portal and our replies arrive in both places.

> Tip: one request per problem. Separate requests can go to the right specialist at once.`, true, 41, 3},
	{"getting-started", "request-statuses", "What the statuses of a request mean", `Every request shows where it stands:

| Status | Meaning |
|---|---|
| New | We received it and nobody has answered yet. |
| Waiting on us | It's our turn: we are working on it. |
| Waiting on customer | We asked you something or proposed a fix. |
| Solved | We think it's done. Reply if it isn't, and it opens again. |
| Closed | Finished. Start a new request for anything else. |`, true, 28, 1},
	{"account-billing", "reset-your-password", "Resetting your password", `1. On the sign-in page, choose **Forgot your password?**
2. Enter the e-mail address of your account.
3. Open the link in the e-mail we send you within one hour, and choose a new password.

The link works once. If no e-mail arrives within a few minutes, check your spam folder, then ask your company's admin whether your account uses single sign-on: in that case your password is managed by your company.`, true, 57, 6},
	{"account-billing", "billing-details-and-vat", "Updating your billing details and VAT number", `Admins of your account can change the company name, billing address and VAT number under **Billing → Billing details**.

- Changes apply to the next invoice.
- To correct an invoice that was already issued, open a request with the invoice number: we void it and send a corrected one.
- Invoices go to the billing e-mail address set on the same page, which may differ from yours.`, true, 19, 2},
	{"integrations", "verify-webhook-signatures", "Verifying webhook signatures", `Every webhook request carries an ` + "`X-Signature`" + ` header: the hex HMAC-SHA256 of the **raw request body**, keyed with your webhook secret.

` + "```python" + `
import hashlib, hmac

def valid(secret: bytes, body: bytes, signature: str) -> bool:
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
` + "```" + `

Compute it over the bytes exactly as received. Parsing the JSON and serialising it again changes spacing and key order, and the signature will not match.`, true, 33, 4},
	{"integrations", "api-rate-limits", "API rate limits", `Each API key may make **120 requests per minute** to each endpoint. Above that, the API answers ` + "`429 Too Many Requests`" + ` with a ` + "`Retry-After`" + ` header in seconds.

To stay well below the limit:

- fetch changes with ` + "`updated_since`" + ` instead of reading everything again;
- subscribe to webhooks rather than polling;
- wait for ` + "`Retry-After`" + ` before retrying, and add some random delay.`, true, 22, 2},
	{"integrations", "slack-notifications", "Sending request notifications to Slack", `*Draft: screenshots still to come.*

1. Under **Settings → Integrations**, choose **Slack** and sign in to your workspace.
2. Pick the channel for notifications.
3. Choose the events: new requests, replies, or both.

Install the app with an account that will stay in the workspace: Slack disconnects apps whose installer leaves.`, false, 0, 0},
}

// The consent notice shown at sign-up, and its checkbox.
const (
	demoConsentNotice = "To answer your requests we store your name, e-mail address, company and " +
		"everything you send us through this portal, by e-mail or in chat. We keep it for as long as " +
		"your account is active and for two years after your last request. You can ask for a copy of " +
		"your data, or for its deletion, at any time by writing to privacy@example.com."
	demoConsentLabel = "I agree that my details are processed to handle my support requests."
)

// demoVolumeTopics are the subjects of generated tickets with their first message.
var demoVolumeTopics = []struct{ subject, category, first string }{
	{"Order sync delayed", "Integrations", "Orders placed in the shop take more than an hour to appear in the back office. Usually it's a few seconds."},
	{"Cannot download invoice PDF", "Billing", "Clicking 'Download PDF' on the invoice page gives an empty file."},
	{"Question about user permissions", "Account", "Can a user see the orders of one warehouse only, and not the others?"},
	{"Shipping labels print blank", "Bug", "Since this morning the shipping labels come out of the printer blank. Other documents print fine."},
	{"How to set up a discount code", "How-to", "We want to offer 10% off for the first order of new customers. Where do I set that up?"},
	{"Export in XLSX format", "Feature request", "Our finance team would much prefer Excel files over CSV for the monthly export."},
	{"Password reset e-mail not received", "Account", "One of our users asked for a password reset three times and never got the e-mail."},
	{"Payment declined although the card is valid", "Billing", "Our renewal failed with 'card declined', but the bank says they never saw the attempt."},
	{"New products missing from search", "Bug", "Products we added yesterday don't show up in the search, only when browsing the category."},
	{"Webhook deliveries failing", "Integrations", "The webhook log shows dozens of failed deliveries to our endpoint since last night."},
	{"Wrong tax rate for Austria", "Billing", "Orders shipped to Austria are charged 19% VAT instead of 20%."},
	{"Report totals differ from the dashboard", "Bug", "The monthly revenue report shows a different total than the dashboard for the same period."},
	{"Archiving old orders", "How-to", "Is there a way to archive orders older than two years so the list loads faster?"},
	{"Rotating an API key", "Integrations", "We need to rotate our API key. Can the old one keep working for a day while we deploy?"},
	{"Adding a second warehouse", "How-to", "We're opening a second warehouse. How do we split the stock between the two?"},
	{"Dashboard slow in the morning", "Bug", "Between 8 and 9 the dashboard takes half a minute to load; later in the day it's quick."},
	{"New company address", "Account", "We moved offices. Please update our company address on the account and the invoices."},
	{"Refund not on the statement", "Billing", "The refund you confirmed last week still doesn't show on our card statement."},
	{"Custom fields on the order form", "Feature request", "We'd like to ask customers for their PO number when they order. Can we add a field?"},
	{"Two-factor codes rejected", "Account", "The codes from my authenticator app are rejected every time, although the phone's clock is right."},
}

// Lines for the rest of a generated conversation.
var (
	demoVolumeCustomerLines = []string{
		"Thanks for the quick answer. I tried that, but the problem is still there.",
		"Here are the steps: open the page, filter by last week, then click Export.",
		"That fixed most of it, but two items still look wrong.",
		"It happened again this morning at around 10:15.",
		"Our warehouse manager sees the same thing on his computer.",
		"Any news on this? It's slowing the team down.",
		"Thanks, that works now!",
		"I can send screenshots if that helps.",
	}
	demoVolumeAgentLines = []string{
		"Thanks for reaching out. I'm looking into this now and will get back to you shortly.",
		"Could you send me an order number where this happens and a screenshot of what you see?",
		"I've applied a fix on our side. Could you check whether it works for you now?",
		"Our engineers found the cause, and a fix is planned for the next release.",
		"I've updated the settings on your account. Let me know if anything still looks off.",
		"Glad that helped! I'll keep this open for a couple of days in case anything comes up.",
	}
	demoVolumeNotes = []string{
		"Checked the logs: same pattern as last week's incident.",
		"Escalated to second line, waiting for engineering.",
		"Business plan customer: priority handling applies.",
	}
	demoVolumePriorities = []demoWeighted[models.Priority]{
		{models.PriorityLow, 20}, {models.PriorityNormal, 55}, {models.PriorityHigh, 20}, {models.PriorityUrgent, 5},
	}
	demoVolumeChannels = []demoWeighted[models.Channel]{
		{models.ChannelEmail, 35}, {models.ChannelPortal, 30}, {models.ChannelChat, 15},
		{models.ChannelAPI, 8}, {models.ChannelWhatsApp, 7}, {models.ChannelCustom, 5},
	}
)
