package handlers

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// ticketWorld is a small help desk: Acme with Ann and Ben, Globex with Gil, tickets for each.
type ticketWorld struct {
	s             *testServer
	acme, globex  models.Company
	ann, ben, gil *browser
	annC, benC    models.Contact
	pipe          models.Pipeline
	seeded        int // tickets made by ticket, which spaces their times
}

const worldPassword = "a good long password"

func newTicketWorld(t *testing.T, db *models.DB) *ticketWorld {
	t.Helper()
	s := newTestServer(t, db, testConfig(t))
	ctx := context.Background()
	w := &ticketWorld{s: s}
	w.pipe = models.Pipeline{Name: "Support", Stages: []models.PipelineStage{
		{Name: "New", Position: 1}, {Name: "Waiting on us", Position: 2}, {Name: "Solved", Position: 3, IsClosed: true}}}
	if err := s.app.Stores.Pipelines.Create(ctx, &w.pipe); err != nil {
		t.Fatal(err)
	}
	w.acme = models.Company{Name: "Acme"}
	w.globex = models.Company{Name: "Globex"}
	s.app.Stores.Companies.Create(ctx, &w.acme)
	s.app.Stores.Companies.Create(ctx, &w.globex)
	hash, _ := app.HashPassword(worldPassword)
	now := time.Now().UTC()
	mk := func(email string, company *models.Company) models.Contact {
		c := models.Contact{Email: email, Name: strings.Split(email, "@")[0], PasswordHash: hash, EmailVerifiedAt: &now,
			Active: true, CompanyID: &company.ID}
		if err := s.app.Stores.Contacts.Create(ctx, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	w.annC = mk("ann@acme.example", &w.acme)
	w.benC = mk("ben@acme.example", &w.acme)
	mk("gil@globex.example", &w.globex)
	login := func(email string) *browser {
		b := s.browser()
		wantStatus(t, b.portalLogin(email, worldPassword), http.StatusSeeOther)
		return b
	}
	w.ann, w.ben, w.gil = login("ann@acme.example"), login("ben@acme.example"), login("gil@globex.example")
	return w
}

// ticket creates a ticket for a contact with one thread: a customer message, an agent reply
// and an internal note carrying a canary. Its times are taken from the app's clock, a day back
// and five minutes after the previous ticket's, so that whatever the app writes next is newer and
// tickets made later are more recently active, whatever the real date.
func (w *ticketWorld) ticket(t *testing.T, c models.Contact, subject string, opts ...func(*models.Ticket)) models.Ticket {
	t.Helper()
	ctx := context.Background()
	created := w.s.app.Now().Add(-24*time.Hour + time.Duration(w.seeded)*5*time.Minute)
	w.seeded++
	tk := models.Ticket{Subject: subject, PipelineID: w.pipe.ID, StageID: w.pipe.Stages[0].ID, SourceChannel: models.ChannelPortal,
		ContactID: &c.ID, CompanyID: c.CompanyID, CreatedAt: created, UpdatedAt: created}
	for _, o := range opts {
		o(&tk)
	}
	if err := w.s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}
	th := models.Thread{TicketID: tk.ID, Channel: models.ChannelPortal, CreatedAt: tk.CreatedAt}
	w.s.app.Stores.Tickets.CreateThread(ctx, &th)
	at := tk.CreatedAt.Add(time.Minute)
	for _, m := range []models.Message{
		{AuthorKind: models.AuthorContact, AuthorContactID: &c.ID, Body: "Customer says: " + subject},
		{AuthorKind: models.AuthorStaff, Body: "Agent answers <b>bold</b>"},
		{AuthorKind: models.AuthorStaff, Body: "INTERNAL-CANARY-" + subject, IsInternal: true},
	} {
		m.ThreadID, m.TicketID, m.CreatedAt = th.ID, tk.ID, at
		at = at.Add(time.Minute)
		if err := w.s.app.Stores.Tickets.AddMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := w.s.app.Stores.Tickets.ByID(ctx, tk.ID)
	return got
}

func (w *ticketWorld) setPortal(t *testing.T, fn func(*models.PortalSettings)) {
	t.Helper()
	ctx := context.Background()
	p, _ := w.s.app.Portal(ctx)
	fn(&p)
	if err := w.s.app.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func TestPortalTicketScopes(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		annT := w.ticket(t, w.annC, "Ann printer jam")
		benT := w.ticket(t, w.benC, "Ben invoice question")

		body := readBody(t, w.ann.get("/portal"))
		if !strings.Contains(body, annT.Ref()) || strings.Contains(body, benT.Ref()) {
			t.Fatal("own-tickets view shows the wrong tickets")
		}
		if strings.Contains(body, `value="org"`) {
			t.Fatal("organisation view offered while the portal shares only own tickets")
		}
		// Detail: own 200 without the internal note; a colleague's 404; a stranger's 404.
		resp := w.ann.get("/portal/tickets/" + annT.Ref())
		wantStatus(t, resp, http.StatusOK)
		detail := readBody(t, resp)
		if !strings.Contains(detail, "Customer says: Ann printer jam") || strings.Contains(detail, "INTERNAL-CANARY") {
			t.Fatal("detail shows the wrong messages")
		}
		if !strings.Contains(detail, "Agent answers &lt;b&gt;bold&lt;/b&gt;") {
			t.Fatal("message body not escaped")
		}
		for _, probe := range []struct {
			who  *browser
			path string
		}{
			{w.ann, "/portal/tickets/" + benT.Ref()},
			{w.gil, "/portal/tickets/" + annT.Ref()},
			{w.ann, "/portal/tickets/T-999999"},
			{w.ann, "/portal/tickets/1%20OR%201=1"},
			{w.ann, "/portal/tickets/T-0"},
			{w.ann, "/portal/tickets/T-9223372036854775807"},
		} {
			if code := probe.who.get(probe.path).StatusCode; code != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", probe.path, code)
			}
		}
		wantStatus(t, w.s.browser().get("/portal/tickets/"+annT.Ref()), http.StatusSeeOther) // anonymous → sign in

		// Company sharing on: the Organisation view lists colleagues' tickets and opens them.
		w.setPortal(t, func(p *models.PortalSettings) { p.TicketVisibility = models.VisibilityCompany })
		org := readBody(t, w.ann.get("/portal?view=org"))
		if !strings.Contains(org, benT.Ref()) || !strings.Contains(org, annT.Ref()) {
			t.Fatal("organisation view lacks company tickets")
		}
		wantStatus(t, w.ann.get("/portal/tickets/"+benT.Ref()), http.StatusOK)
		wantStatus(t, w.gil.get("/portal/tickets/"+benT.Ref()), http.StatusNotFound)
		// And off again: hidden on the very next request (AC-02).
		w.setPortal(t, func(p *models.PortalSettings) { p.TicketVisibility = models.VisibilityOwn })
		wantStatus(t, w.ann.get("/portal/tickets/"+benT.Ref()), http.StatusNotFound)
		if strings.Contains(readBody(t, w.ann.get("/portal?view=org")), benT.Ref()) {
			t.Fatal("organisation view still shown after sharing was switched off")
		}
	})
}

func TestPortalTicketFilters(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		high := w.ticket(t, w.annC, "High one", func(tk *models.Ticket) {
			tk.Priority = models.PriorityHigh
			tk.Properties = models.Props{"equipment": "press"}
		})
		low := w.ticket(t, w.annC, "Low one", func(tk *models.Ticket) { tk.Priority = models.PriorityLow })
		w.setPortal(t, func(p *models.PortalSettings) {
			p.TicketFilters = []models.FilterRule{{Property: "priority", Op: models.OpAnyOf, Values: []string{"high", "urgent"}}}
		})
		body := readBody(t, w.ann.get("/portal"))
		if !strings.Contains(body, high.Ref()) || strings.Contains(body, low.Ref()) {
			t.Fatal("listing ignores the admin's filter")
		}
		wantStatus(t, w.ann.get("/portal/tickets/"+low.Ref()), http.StatusNotFound)
		w.setPortal(t, func(p *models.PortalSettings) {
			p.TicketFilters = []models.FilterRule{{Property: "prop:equipment", Op: models.OpIs, Values: []string{"press"}}}
		})
		wantStatus(t, w.ann.get("/portal/tickets/"+high.Ref()), http.StatusOK)
		wantStatus(t, w.ann.get("/portal/tickets/"+low.Ref()), http.StatusNotFound)
		w.setPortal(t, func(p *models.PortalSettings) {
			p.TicketFilters = []models.FilterRule{{Property: "prop:equipment", Op: models.OpIsNot, Values: []string{"press"}}}
		})
		wantStatus(t, w.ann.get("/portal/tickets/"+low.Ref()), http.StatusOK)
		wantStatus(t, w.ann.get("/portal/tickets/"+high.Ref()), http.StatusNotFound)
		// Rules with hostile property names never reach SQL.
		ctx := context.Background()
		p, _ := w.s.app.Portal(ctx)
		p.TicketFilters = []models.FilterRule{{Property: "priority; DROP TABLE tickets", Op: models.OpIs, Values: []string{"x"}}}
		if err := w.s.app.SavePortal(ctx, p); err == nil {
			t.Fatal("a filter on an unknown column was saved")
		}
	})
}

func TestPortalListingPagesStatusAndFragment(t *testing.T) {
	w := newTicketWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	var refs []string
	for i := range 30 {
		tk := w.ticket(t, w.annC, fmt.Sprintf("Ticket number %02d", i))
		// Spread activity so the order is known: later i = more recent.
		last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		w.s.app.Stores.Tickets.SetActivity(ctx, tk.ID, last.Add(-time.Hour), last)
		refs = append(refs, tk.Ref())
	}
	closed := w.ticket(t, w.annC, "Closed one", func(tk *models.Ticket) { tk.StageID = w.pipe.Stages[2].ID })
	w.s.app.Stores.Tickets.SetActivity(ctx, closed.ID, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC))

	refRe := regexp.MustCompile(`>(T-\d+)</a></td>`)
	first := readBody(t, w.ann.get("/portal?status=open"))
	got := refRe.FindAllStringSubmatch(first, -1)
	if len(got) != 25 || got[0][1] != refs[29] || got[24][1] != refs[5] {
		t.Fatalf("first page: %d rows, first %v", len(got), got[:min(2, len(got))])
	}
	next := regexp.MustCompile(`href="(/portal\?[^"]*after=[^"]+)"`).FindStringSubmatch(first)
	if next == nil {
		t.Fatal("no link to the next page")
	}
	second := readBody(t, w.ann.get(strings.ReplaceAll(next[1], "&amp;", "&")))
	got = refRe.FindAllStringSubmatch(second, -1)
	if len(got) != 5 || got[0][1] != refs[4] || got[4][1] != refs[0] {
		t.Fatalf("second page: %v", got)
	}
	closedPage := readBody(t, w.ann.get("/portal?status=closed"))
	if !strings.Contains(closedPage, closed.Ref()) || strings.Contains(closedPage, refs[0]) || !strings.Contains(closedPage, "Closed") {
		t.Fatal("closed filter wrong")
	}
	// Custom stage names when the admin asks.
	w.setPortal(t, func(p *models.PortalSettings) { p.ShowCustomStages = true })
	if !strings.Contains(readBody(t, w.ann.get("/portal?status=closed")), "Solved") {
		t.Fatal("stage name not shown")
	}
	// htmx gets the list fragment alone.
	resp := w.ann.get("/portal?status=open", "HX-Request", "true")
	frag := readBody(t, resp)
	if strings.Contains(frag, "<html") || !strings.Contains(frag, `id="ticket-list"`) || resp.Header.Get("Vary") != "HX-Request" {
		t.Fatal("htmx listing is not the fragment")
	}
	wantStatus(t, w.ann.get("/portal?after=not-a-cursor"), http.StatusBadRequest)
}

// countStatements counts every SQL statement db runs from now on (queries, row reads, raw
// statements and updates).
func countStatements(db *models.DB) *atomic.Int64 {
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	g := db.Gorm
	g.Callback().Query().After("gorm:query").Register("test:count_query", count)
	g.Callback().Row().After("gorm:row").Register("test:count_row", count)
	g.Callback().Raw().After("gorm:raw").Register("test:count_raw", count)
	g.Callback().Update().After("gorm:update").Register("test:count_update", count)
	return &n
}

// fewestStatements counts the statements of load, run three times with the cached lookups
// forgotten (so that they are counted too), and returns the fewest: the portal settings are
// cached for a while, and a load during which that cache expires reads them again (seen on a
// slow CI run).
func fewestStatements(s *testServer, n *atomic.Int64, load func()) int64 {
	fewest := int64(-1)
	for range 3 {
		s.app.ForgetLookups()
		n.Store(0)
		load()
		if got := n.Load(); fewest < 0 || got < fewest {
			fewest = got
		}
	}
	return fewest
}

// The listing page runs the same number of SQL statements however many tickets there are.
func TestPortalListingStatementsConstant(t *testing.T) {
	db := dbtest.SQLite(t)
	w := newTicketWorld(t, db)
	n := countStatements(db)
	measure := func() int64 {
		return fewestStatements(w.s, n, func() { wantStatus(t, w.ann.get("/portal"), http.StatusOK) })
	}
	w.ticket(t, w.annC, "one")
	few := measure()
	for i := range 40 {
		w.ticket(t, w.annC, fmt.Sprintf("more %d", i))
	}
	many := measure()
	if few != many || few == 0 {
		t.Fatalf("statements per listing: %d with 1 ticket, %d with 41", few, many)
	}
	t.Logf("SQL statements per portal listing page: %d (constant)", many)
}

func TestPortalAttachmentsFollowTheTicket(t *testing.T) {
	w := newTicketWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	tk := w.ticket(t, w.annC, "With files")
	th, _ := w.s.app.Stores.Tickets.LatestThread(ctx, tk.ID)
	put := func(content string) models.Attachment {
		key, size, sum, err := w.s.app.Storage.Put(ctx, strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		return models.Attachment{PublicID: app.NewToken()[:32], Filename: "../../evil\r\nX: y.html", Size: size,
			ContentType: "text/html", StorageKey: key, SHA256: sum, CreatedAt: time.Now()}
	}
	public := models.Message{ThreadID: th.ID, TicketID: tk.ID, AuthorKind: models.AuthorContact, AuthorContactID: &w.annC.ID,
		Body: "see file", Attachments: []models.Attachment{put("<script>alert(1)</script>")}}
	note := models.Message{ThreadID: th.ID, TicketID: tk.ID, AuthorKind: models.AuthorStaff, Body: "note", IsInternal: true,
		Attachments: []models.Attachment{put("secret")}}
	w.s.app.Stores.Tickets.AddMessage(ctx, &public)
	w.s.app.Stores.Tickets.AddMessage(ctx, &note)
	pub := "/portal/attachments/" + public.Attachments[0].PublicID
	resp := w.ann.get(pub)
	wantStatus(t, resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		strings.Contains(resp.Header.Get("Content-Disposition"), "\n") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download headers: %v", resp.Header)
	}
	if readBody(t, resp) != "<script>alert(1)</script>" {
		t.Fatal("wrong content")
	}
	wantStatus(t, w.ann.get("/portal/attachments/"+note.Attachments[0].PublicID), http.StatusNotFound)
	wantStatus(t, w.gil.get(pub), http.StatusNotFound)
	wantStatus(t, w.ben.get(pub), http.StatusNotFound) // colleague, sharing off
	wantStatus(t, w.s.browser().get(pub), http.StatusSeeOther)
	wantStatus(t, w.ann.get("/portal/attachments/nope"), http.StatusNotFound)
}

// multipartReply builds a reply form with a file.
func multipartReply(t *testing.T, token, body, filename string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", token)
	mw.WriteField("body", body)
	if filename != "" {
		fw, _ := mw.CreateFormFile("files", filename)
		fw.Write(content)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (b *browser) postMultipartBody(path string, body *bytes.Buffer, ctype string) *http.Response {
	b.s.t.Helper()
	req := httptest.NewRequest("POST", path, body)
	req.Header.Set("Content-Type", ctype)
	return b.send(req)
}

func TestPortalReplyWithFileAndLiveEvent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		tk := w.ticket(t, w.annC, "Needs a reply")
		page := "/portal/tickets/" + tk.Ref()
		sub := w.s.app.Broker.Subscribe([]string{"ticket:" + tk.Ref(), "contact:" + fmt.Sprint(w.annC.ID)}, 8)
		defer sub.Close()

		body, ctype := multipartReply(t, w.ann.csrf(page), "Here is the log you asked for", "../../etc/log.txt", []byte("line one\nline two\n"))
		resp := w.ann.postMultipartBody(page+"/reply", body, ctype)
		wantStatus(t, resp, http.StatusSeeOther)
		if resp.Header.Get("Location") != page {
			t.Fatalf("after reply: Location %q", resp.Header.Get("Location"))
		}
		// The live page's refetch of its thread, racing the redirect, leaves the flash to the page.
		if thread := readBody(t, w.ann.get(page+"/thread", "HX-Request", "true")); strings.Contains(thread, "Your reply was sent.") {
			t.Fatal("the thread fragment shows the flash")
		}
		detail := readBody(t, w.ann.get(page))
		if !strings.Contains(detail, "Your reply was sent.") {
			t.Fatal("the ticket page after a live refetch lost the reply's flash")
		}
		if !strings.Contains(detail, "Here is the log you asked for") || !strings.Contains(detail, ">log.txt</a>") {
			t.Fatal("reply or its file missing from the ticket")
		}
		link := regexp.MustCompile(`href="(/portal/attachments/[^"]+)"`).FindStringSubmatch(detail)
		if link == nil || readBody(t, w.ann.get(link[1])) != "line one\nline two\n" {
			t.Fatal("attachment not downloadable with its content")
		}
		for range 2 { // the ticket's topic and the contact's
			select {
			case ev := <-sub.C():
				if ev.Name != app.EventTicketUpdated || ev.Ref != tk.Ref() {
					t.Fatalf("event %+v", ev)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("no live event after the reply")
			}
		}
		// Empty reply: the form again with an error; a stranger: 404.
		mb, mct := multipartReply(t, w.ann.csrf(page), "  ", "", nil)
		resp = w.ann.postMultipartBody(page+"/reply", mb, mct)
		wantStatus(t, resp, http.StatusOK)
		if !strings.Contains(readBody(t, resp), "Write a message or attach a file.") {
			t.Fatal("empty reply accepted")
		}
		mb, mct = multipartReply(t, w.gil.csrf("/portal"), "hijack", "", nil)
		resp = w.gil.postMultipartBody(page+"/reply", mb, mct)
		wantStatus(t, resp, http.StatusNotFound)
	})
}

func TestClosedTicketTakesNoReply(t *testing.T) {
	w := newTicketWorld(t, dbtest.SQLite(t))
	tk := w.ticket(t, w.annC, "Done", func(tk *models.Ticket) { tk.StageID = w.pipe.Stages[2].ID })
	page := "/portal/tickets/" + tk.Ref()
	detail := readBody(t, w.ann.get(page))
	if strings.Contains(detail, `name="body"`) || !strings.Contains(detail, "This ticket is closed") {
		t.Fatal("closed ticket offers a reply box or does not say why")
	}
	mb, mct := multipartReply(t, w.ann.csrf(page), "one more thing", "", nil)
	resp := w.ann.postMultipartBody(page+"/reply", mb, mct)
	wantStatus(t, resp, http.StatusOK)
	if !strings.Contains(readBody(t, resp), "takes no more replies") {
		t.Fatal("reply to a closed ticket not refused")
	}

	// A live page's refetch of the thread swaps the reply section only when its state changed:
	// the reason while the ticket is closed; the box when a page still showing the reason
	// finds the ticket reopened; nothing when the page shows the box (it may hold a draft).
	thread := func(query string) string {
		return readBody(t, w.ann.get(page+"/thread"+query, "HX-Request", "true"))
	}
	if got := thread("?reply=closed"); !strings.Contains(got, `hx-swap-oob="true"`) || !strings.Contains(got, "This ticket is closed") {
		t.Fatalf("closed ticket's thread fragment lacks the reason out of band:\n%s", got)
	}
	agent, _ := w.s.staff(models.RoleAgent, "agent@example.com")
	open := w.pipe.Stages[0].ID
	if _, err := w.s.app.UpdateTicket(context.Background(), agent, tk.ID, app.TicketChange{StageID: &open}); err != nil {
		t.Fatal(err)
	}
	got := thread("?reply=closed")
	if !strings.Contains(got, `<section id="reply" aria-labelledby="reply-heading" class="reply" hx-swap-oob="true">`) ||
		!strings.Contains(got, `name="body"`) || !strings.Contains(got, `name="_csrf"`) || strings.Contains(got, "This ticket is closed") {
		t.Fatalf("reopened ticket's thread fragment does not bring the box back:\n%s", got)
	}
	for _, q := range []string{"?reply=box", ""} {
		if got := thread(q); strings.Contains(got, `id="reply"`) {
			t.Fatalf("thread fragment%s replaces the page's reply box:\n%s", q, got)
		}
	}
}

func TestAgentReplyMailsTheCustomerAndNotesDoNot(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		ctx := context.Background()
		tk := w.ticket(t, w.annC, "Waiting for the agent")
		agent, _ := w.s.staff(models.RoleAgent, "agent@example.com")
		before := w.s.emailCount("ann@acme.example")
		if _, err := w.s.app.ReplyAsStaff(ctx, agent, tk.ID, "NOTE-CANARY only for staff", true); err != nil {
			t.Fatal(err)
		}
		if w.s.emailCount("ann@acme.example") != before {
			t.Fatal("an internal note e-mailed the customer")
		}
		if _, err := w.s.app.ReplyAsStaff(ctx, agent, tk.ID, "We have fixed it.", false); err != nil {
			t.Fatal(err)
		}
		subject, body := w.s.lastEmail("ann@acme.example")
		if !strings.Contains(subject, tk.Ref()) || !strings.Contains(body, "http://localhost:8080/portal/tickets/"+tk.Ref()) ||
			strings.Contains(body, "NOTE-CANARY") || strings.Contains(body, "We have fixed it") {
			t.Fatalf("agent-reply e-mail:\n%s\n%s", subject, body)
		}
		detail := readBody(t, w.ann.get("/portal/tickets/"+tk.Ref()))
		if !strings.Contains(detail, "We have fixed it.") || strings.Contains(detail, "NOTE-CANARY") {
			t.Fatal("customer sees the wrong messages")
		}
		frag := readBody(t, w.ann.get("/portal/tickets/"+tk.Ref()+"/thread", "HX-Request", "true"))
		if strings.Contains(frag, "<html") || !strings.Contains(frag, `id="conversation"`) || strings.Contains(frag, "NOTE-CANARY") {
			t.Fatal("thread fragment wrong")
		}
	})
}

func TestPortalEventStreamsAreScoped(t *testing.T) {
	w := newTicketWorld(t, dbtest.SQLite(t))
	annT := w.ticket(t, w.annC, "Ann's")
	resp := w.ann.get("/portal/events?ticket=" + annT.Ref())
	wantStatus(t, resp, http.StatusOK)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	wantStatus(t, w.gil.get("/portal/events?ticket="+annT.Ref()), http.StatusNotFound)
	wantStatus(t, w.ben.get("/portal/events?ticket="+annT.Ref()), http.StatusNotFound)
	wantStatus(t, w.ann.get("/portal/events?ticket=garbage"), http.StatusNotFound)
	wantStatus(t, w.s.browser().get("/portal/events"), http.StatusSeeOther)
	wantStatus(t, w.ann.get("/portal/events"), http.StatusOK)
}
