package handlers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// refPattern finds ticket references in a page.
var refPattern = regexp.MustCompile(`T-[0-9]+`)

// deskWorld is a ticket world with two agents signed in to the desk.
type deskWorld struct {
	*ticketWorld
	agent, other       models.StaffUser
	agentB, otherB     *browser
	agentPass, otherPW string
}

func newDeskWorld(t *testing.T, db *models.DB) *deskWorld {
	t.Helper()
	w := &deskWorld{ticketWorld: newTicketWorld(t, db)}
	w.agent, w.agentPass = w.s.staff(models.RoleAgent, "agent@example.com")
	w.other, w.otherPW = w.s.staff(models.RoleAgent, "other@example.com")
	w.agentB, w.otherB = w.s.browser(), w.s.browser()
	wantStatus(t, w.agentB.login("agent@example.com", w.agentPass), http.StatusSeeOther)
	wantStatus(t, w.otherB.login("other@example.com", w.otherPW), http.StatusSeeOther)
	return w
}

// deskPost posts a desk form with the CSRF token of the page it belongs to.
func (b *browser) deskPost(page, target string, form url.Values) *http.Response {
	b.s.t.Helper()
	form.Set("_csrf", b.csrf(page))
	return b.do("POST", target, form)
}

// outboxTo returns the e-mails queued to an address, newest first.
func outboxTo(t *testing.T, s *testServer, to string) []models.OutboxEmail {
	t.Helper()
	rows, _, err := s.app.Stores.Outbox.List(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.OutboxEmail
	for _, r := range rows {
		if r.ToAddr == to {
			full, err := s.app.Stores.Outbox.ByID(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full)
		}
	}
	return out
}

func TestDeskQueueFiltersAndViews(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newDeskWorld(t, db)
		ctx := context.Background()
		mine := w.ticket(t, w.annC, "Printer on fire", func(tk *models.Ticket) { tk.OwnerID = &w.agent.ID })
		email := w.ticket(t, w.benC, "Invoice question", func(tk *models.Ticket) {
			tk.SourceChannel, tk.Priority = models.ChannelEmail, models.PriorityUrgent
		})
		closed := w.ticket(t, w.annC, "Old and solved", func(tk *models.Ticket) {
			tk.StageID, tk.IsClosed = w.pipe.Stages[2].ID, true
		})
		_ = ctx

		body := readBody(t, w.agentB.get("/desk"))
		for _, want := range []string{mine.Ref(), email.Ref(), "✉", "E-mail", "Urgent", "ann", "Unassigned"} {
			if !strings.Contains(body, want) {
				t.Errorf("queue lacks %q", want)
			}
		}
		if strings.Contains(body, closed.Ref()) {
			t.Error("the default queue shows a closed ticket")
		}
		cases := []struct {
			query     string
			want, not []string
		}{
			{"owner=me", []string{mine.Ref()}, []string{email.Ref()}},
			{"owner=none", []string{email.Ref()}, []string{mine.Ref()}},
			{"channel=email", []string{email.Ref()}, []string{mine.Ref()}},
			{"priority=urgent", []string{email.Ref()}, []string{mine.Ref()}},
			{"status=closed", []string{closed.Ref()}, []string{mine.Ref(), email.Ref()}},
			{"status=all", []string{closed.Ref(), mine.Ref(), email.Ref()}, nil},
			{"q=" + url.QueryEscape(email.Ref()), []string{email.Ref()}, []string{mine.Ref()}},
			{"q=Printer", []string{mine.Ref()}, []string{email.Ref()}},
			{"q=Customer+says+Invoice", []string{email.Ref()}, []string{mine.Ref()}}, // words of a message
			{"owner=bogus&channel=<script>&priority=x", []string{mine.Ref(), email.Ref()}, nil},
		}
		for _, c := range cases {
			body := readBody(t, w.agentB.get("/desk?"+c.query, "HX-Request", "true"))
			if strings.Contains(body, "<html") {
				t.Fatalf("%s: htmx got a whole page", c.query)
			}
			for _, ref := range c.want {
				if !strings.Contains(body, ref+"<") {
					t.Errorf("%s: %s missing", c.query, ref)
				}
			}
			for _, ref := range c.not {
				if strings.Contains(body, ref+"<") {
					t.Errorf("%s: %s shown", c.query, ref)
				}
			}
		}
		wantStatus(t, w.agentB.get("/desk?after=garbage"), http.StatusBadRequest)

		// A saved view is the agent's own: the other agent does not see it.
		resp := w.agentB.deskPost("/desk", "/desk/views", url.Values{"name": {"Urgent e-mail"}, "channel": {"email"}, "priority": {"urgent"}})
		wantStatus(t, resp, http.StatusSeeOther)
		page := readBody(t, w.agentB.get("/desk"))
		if !strings.Contains(page, "Urgent e-mail") || !strings.Contains(page, "channel=email&amp;priority=urgent") {
			t.Fatal("saved view not listed with its filters")
		}
		if strings.Contains(readBody(t, w.otherB.get("/desk")), "Urgent e-mail") {
			t.Fatal("another agent sees a private view")
		}
		wantStatus(t, w.agentB.deskPost("/desk", "/desk/views", url.Values{"name": {""}}), http.StatusSeeOther)
		views, _ := w.s.app.Stores.Desk.Views(ctx, w.agent.ID)
		if len(views) != 1 {
			t.Fatalf("views: %d, want 1 (the empty name refused)", len(views))
		}
		// The other agent cannot delete it; its owner can. Without a token nothing happens.
		wantStatus(t, w.otherB.deskPost("/desk", fmt.Sprintf("/desk/views/%d/delete", views[0].ID), url.Values{}), http.StatusNotFound)
		wantStatus(t, w.agentB.do("POST", fmt.Sprintf("/desk/views/%d/delete", views[0].ID), url.Values{}), http.StatusForbidden)
		wantStatus(t, w.agentB.deskPost("/desk", fmt.Sprintf("/desk/views/%d/delete", views[0].ID), url.Values{}), http.StatusSeeOther)
	})
}

// The queue page runs the same number of SQL statements for 3 tickets and for 60, and pages
// through them by cursor.
func TestDeskQueueStatementsConstantAndPages(t *testing.T) {
	db := dbtest.SQLite(t)
	w := newDeskWorld(t, db)
	n := countStatements(db)
	measure := func() int64 {
		return fewestStatements(w.s, n, func() { wantStatus(t, w.agentB.get("/desk"), http.StatusOK) })
	}
	for i := range 3 {
		w.ticket(t, w.annC, fmt.Sprintf("few %d", i), func(tk *models.Ticket) { tk.OwnerID = &w.agent.ID })
	}
	few := measure()
	for i := range 57 {
		w.ticket(t, []models.Contact{w.annC, w.benC}[i%2], fmt.Sprintf("many %d", i), func(tk *models.Ticket) {
			if i%3 == 0 {
				tk.OwnerID = &w.other.ID
			}
		})
	}
	many := measure()
	if few != many || few == 0 {
		t.Fatalf("statements per queue page: %d with 3 tickets, %d with 60", few, many)
	}
	t.Logf("SQL statements per desk queue page: %d (constant)", many)

	seen := map[string]bool{}
	next := "/desk"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		body := readBody(t, w.agentB.get(next))
		for _, m := range refPattern.FindAllString(body, -1) {
			seen[m] = true
		}
		next = ""
		if i := strings.Index(body, `class="pager"><a href="`); i >= 0 {
			rest := body[i+len(`class="pager"><a href="`):]
			next = strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
		}
	}
	if len(seen) != 60 {
		t.Fatalf("paged through %d distinct tickets, want 60", len(seen))
	}
}

func TestDeskReplyNoteAndCustomerSide(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newDeskWorld(t, db)
		ctx := context.Background()
		tk := w.ticket(t, w.annC, "Cannot log in")
		page := "/desk/tickets/" + tk.Ref()
		body := readBody(t, w.agentB.get(page))
		if !strings.Contains(body, "INTERNAL-CANARY-Cannot log in") || !strings.Contains(body, "internal-note") {
			t.Fatal("the desk does not show the internal note, set apart")
		}
		sub := w.s.app.Broker.Subscribe([]string{"ticket:" + tk.Ref(), "contact:" + fmt.Sprint(w.annC.ID)}, 8)
		defer sub.Close()

		// An internal note: on the desk page, nowhere on the customer's side, no e-mail.
		before := len(outboxTo(t, w.s, w.annC.Email))
		resp := w.agentB.deskPost(page, page+"/reply", url.Values{"kind": {"note"}, "body": {"NOTE-2 <script>alert(1)</script> only us"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if got := readBody(t, w.agentB.get(page)); !strings.Contains(got, "NOTE-2") || strings.Contains(got, "<script>alert(1)") {
			t.Fatal("the note is missing or unescaped on the desk")
		}
		for _, p := range []string{"/portal/tickets/" + tk.Ref(), "/portal/tickets/" + tk.Ref() + "/thread"} {
			if strings.Contains(readBody(t, w.ann.get(p)), "NOTE-2") {
				t.Fatalf("%s shows the internal note", p)
			}
		}
		if len(outboxTo(t, w.s, w.annC.Email)) != before {
			t.Fatal("an internal note e-mailed the customer")
		}
		select {
		case ev := <-sub.C():
			t.Fatalf("a customer topic heard of the note: %+v", ev)
		case <-time.After(100 * time.Millisecond):
		}

		// A reply with Markdown: rich text sanitised, e-mailed, on the portal, heard live.
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"kind": {"reply"},
			"body": {"Try **this** [guide](https://example.com/g) <img src=x onerror=alert(1)> [x](javascript:alert(1))"}})
		wantStatus(t, resp, http.StatusSeeOther)
		portal := readBody(t, w.ann.get("/portal/tickets/"+tk.Ref()))
		if !strings.Contains(portal, "Try") {
			t.Fatal("the reply is not on the portal")
		}
		deskPage := readBody(t, w.agentB.get(page))
		if !strings.Contains(deskPage, "<strong>this</strong>") || strings.Contains(deskPage, "onerror") ||
			strings.Contains(deskPage, `href="javascript:`) {
			t.Fatal("the rich reply is not rendered and sanitised")
		}
		mails := outboxTo(t, w.s, w.annC.Email)
		if len(mails) != before+1 || !strings.Contains(mails[0].TextBody, "/portal/tickets/"+tk.Ref()) {
			t.Fatalf("reply e-mail: %d new, %+v", len(mails)-before, mails)
		}
		select {
		case ev := <-sub.C():
			if ev.Ref != tk.Ref() {
				t.Fatalf("event %+v", ev)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the customer's page did not hear of the reply")
		}

		// The reply on the e-mail channel starts an e-mail thread and mails the message itself.
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"kind": {"reply"}, "channel": {"email"}, "body": {"By mail: hello"}})
		wantStatus(t, resp, http.StatusSeeOther)
		th, _ := w.s.app.Stores.Tickets.LatestThread(ctx, tk.ID)
		if th.Channel != models.ChannelEmail {
			t.Fatalf("latest thread on %s, want email", th.Channel)
		}
		mails = outboxTo(t, w.s, w.annC.Email)
		if !strings.Contains(mails[0].TextBody, "By mail: hello") || mails[0].Kind != "agent_message" {
			t.Fatalf("e-mail channel reply: %+v", mails[0])
		}
		if !strings.Contains(readBody(t, w.agentB.get(page)), "switched the reply channel") {
			t.Fatal("the channel switch is not on the timeline")
		}
		// A channel nobody can be reached on is refused with the form kept.
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"kind": {"reply"}, "channel": {"whatsapp"}, "body": {"KEEP-ME"}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if b := readBody(t, resp); !strings.Contains(b, "KEEP-ME") || !strings.Contains(b, "cannot be reached") {
			t.Fatal("the refused reply lost its text or its reason")
		}
		// Empty, too long, and without CSRF token.
		wantStatus(t, w.agentB.deskPost(page, page+"/reply", url.Values{"body": {"  "}}), http.StatusUnprocessableEntity)
		wantStatus(t, w.agentB.deskPost(page, page+"/reply", url.Values{"body": {strings.Repeat("x", 50001)}}), http.StatusUnprocessableEntity)
		wantStatus(t, w.agentB.do("POST", page+"/reply", url.Values{"body": {"no token"}}), http.StatusForbidden)

		// Quoting another ticket's message is refused; quoting this one shows the excerpt.
		other := w.ticket(t, w.benC, "Elsewhere")
		msgs, _, _ := w.s.app.Stores.Tickets.TicketMessages(ctx, other.ID)
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"body": {"quote"}, "reply_to": {fmt.Sprint(msgs[0].ID)}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		mine, _, _ := w.s.app.Stores.Tickets.TicketMessages(ctx, tk.ID)
		if b := readBody(t, w.agentB.get(fmt.Sprintf("%s?reply_to=%d", page, mine[0].ID))); !strings.Contains(b, `name="reply_to" value="`+fmt.Sprint(mine[0].ID)) {
			t.Fatal("the reply form does not carry the quoted message")
		}
		wantStatus(t, w.agentB.deskPost(page, page+"/reply", url.Values{"body": {"quoted answer"}, "reply_to": {fmt.Sprint(mine[0].ID)}}), http.StatusSeeOther)
		if !strings.Contains(readBody(t, w.agentB.get(page)), "Replying to ann") {
			t.Fatal("the quote is not shown")
		}
		wantStatus(t, w.agentB.get("/desk/tickets/T-999999"), http.StatusNotFound)
		wantStatus(t, w.agentB.get("/desk/tickets/1%20OR%201=1"), http.StatusNotFound)
	})
}

func TestDeskAssignStatusRequiredPropertiesAndNotifications(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newDeskWorld(t, db)
		ctx := context.Background()
		def := models.TicketPropertyDef{Key: "resolution", Label: "Resolution", Kind: string(models.KindSelect),
			Options: models.Strings{"Fixed", "Won't fix"}}
		if err := db.Gorm.Create(&def).Error; err != nil {
			t.Fatal(err)
		}
		solved := w.pipe.Stages[2]
		if err := db.Gorm.Model(&models.PipelineStage{}).Where("id = ?", solved.ID).
			Update("required_properties", models.Strings{"resolution"}).Error; err != nil {
			t.Fatal(err)
		}
		tk := w.ticket(t, w.annC, "Close me")
		page := "/desk/tickets/" + tk.Ref()

		// The other agent assigns it to our agent: a notification, live, then read by opening.
		live := w.s.app.Broker.Subscribe([]string{"staff:" + fmt.Sprint(w.agent.ID)}, 4)
		defer live.Close()
		resp := w.otherB.deskPost(page, page+"/properties", url.Values{"owner": {fmt.Sprint(w.agent.ID)}})
		wantStatus(t, resp, http.StatusSeeOther)
		select {
		case <-live.C():
		case <-time.After(2 * time.Second):
			t.Fatal("no live notification")
		}
		if b := readBody(t, w.agentB.get("/desk/notifications/badge")); !strings.Contains(b, `id="notify-count">1<`) {
			t.Fatalf("badge: %s", b)
		}
		if b := readBody(t, w.agentB.get("/desk/notifications")); !strings.Contains(b, tk.Ref()) || !strings.Contains(b, "assigned to you") {
			t.Fatal("notification not listed")
		}
		wantStatus(t, w.agentB.get(page), http.StatusOK)
		if b := readBody(t, w.agentB.get("/desk/notifications/badge")); strings.Contains(b, "notify-count") {
			t.Fatal("opening the ticket did not read its notification")
		}
		// The customer writes: the owner is notified.
		wantStatus(t, w.ann.deskPost("/portal/tickets/"+tk.Ref(), "/portal/tickets/"+tk.Ref()+"/reply", url.Values{"body": {"any news?"}}), http.StatusSeeOther)
		if items, _, _ := w.s.app.Stores.Desk.Unread(ctx, w.agent.ID, 10); len(items) != 1 || items[0].Kind != "message" {
			t.Fatalf("owner notifications after a customer reply: %+v", items)
		}

		// Send and set status to Solved without the resolution: refused, nothing sent.
		before := len(outboxTo(t, w.s, w.annC.Email))
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"body": {"DONE-TEXT"}, "next_stage": {fmt.Sprint(solved.ID)}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		b := readBody(t, resp)
		if !strings.Contains(b, "requires this property") || !strings.Contains(b, `name="prop:resolution"`) || !strings.Contains(b, "DONE-TEXT") {
			t.Fatal("the required property is not asked for with the draft kept")
		}
		if got, _ := w.s.app.Stores.Tickets.ByID(ctx, tk.ID); got.IsClosed || len(outboxTo(t, w.s, w.annC.Email)) != before {
			t.Fatal("a refused send-and-close changed something")
		}
		// htmx asks for the fields as soon as the stage is chosen.
		frag := readBody(t, w.agentB.get(fmt.Sprintf("%s/required?next_stage=%d", page, solved.ID), "HX-Request", "true"))
		if !strings.Contains(frag, `name="prop:resolution"`) || strings.Contains(frag, "<html") {
			t.Fatal("required-properties fragment")
		}
		// A value outside the options is refused; with a valid one the ticket closes.
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"body": {"done"}, "next_stage": {fmt.Sprint(solved.ID)}, "prop:resolution": {"Maybe"}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		resp = w.agentB.deskPost(page, page+"/reply", url.Values{"body": {"DONE-TEXT"}, "next_stage": {fmt.Sprint(solved.ID)}, "prop:resolution": {"Fixed"}})
		wantStatus(t, resp, http.StatusSeeOther)
		got, _ := w.s.app.Stores.Tickets.ByID(ctx, tk.ID)
		if !got.IsClosed || got.StageID != solved.ID || got.Properties["resolution"] != "Fixed" || got.ClosedAt == nil {
			t.Fatalf("after send and close: %+v", got)
		}
		if p := readBody(t, w.ann.get("/portal/tickets/"+tk.Ref())); !strings.Contains(p, "DONE-TEXT") || !strings.Contains(p, "Closed") {
			t.Fatal("the customer does not see the reply and the closed status")
		}
		timeline := readBody(t, w.agentB.get(page))
		for _, want := range []string{"assigned the ticket to agent", "changed the status from New to Solved", "set resolution to “Fixed”", "Created via Portal"} {
			if !strings.Contains(timeline, want) {
				t.Errorf("timeline lacks %q", want)
			}
		}
		// Sidebar edits: unknown owner, a stage of another pipeline, a bad priority.
		for _, f := range []url.Values{{"owner": {"999999"}}, {"stage": {"999999"}}, {"priority": {"extreme"}}, {"team": {"424242"}}} {
			wantStatus(t, w.agentB.deskPost(page, page+"/properties", f), http.StatusUnprocessableEntity)
		}
		// Assign to me; unassign.
		wantStatus(t, w.otherB.deskPost(page, page+"/properties", url.Values{"owner": {"me"}}), http.StatusSeeOther)
		if got, _ := w.s.app.Stores.Tickets.ByID(ctx, tk.ID); got.OwnerID == nil || *got.OwnerID != w.other.ID {
			t.Fatal("assign to me")
		}
		wantStatus(t, w.otherB.deskPost(page, page+"/properties", url.Values{"owner": {""}}), http.StatusSeeOther)
		if got, _ := w.s.app.Stores.Tickets.ByID(ctx, tk.ID); got.OwnerID != nil {
			t.Fatal("unassign")
		}
	})
}

func TestDeskKnowledgeBaseLinkAndAttachments(t *testing.T) {
	w := newDeskWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	cat := models.KBCategory{Name: "Accounts", Slug: "accounts"}
	if err := w.s.app.Stores.KB.CreateCategory(ctx, &cat); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, a := range []models.KBArticle{
		{CategoryID: cat.ID, Title: "Reset your password", Slug: "reset-password", Body: "Click forgot.", Status: models.ArticlePublished, PublishedAt: &now},
		{CategoryID: cat.ID, Title: "Password draft", Slug: "draft", Body: "secret draft", Status: models.ArticleDraft},
	} {
		if err := w.s.app.Stores.KB.CreateArticle(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	tk := w.ticket(t, w.annC, "Forgot password")
	page := "/desk/tickets/" + tk.Ref()
	body := readBody(t, w.agentB.deskPost(page, page+"/compose", url.Values{"kb_q": {"password"}, "body": {"Hello,"}}))
	if !strings.Contains(body, "Reset your password") || strings.Contains(body, "Password draft") {
		t.Fatal("article search in the reply form")
	}
	arts, _ := w.s.app.KBLinks(ctx, "password", 10)
	resp := w.agentB.deskPost(page, page+"/compose", url.Values{"insert_article": {fmt.Sprint(arts[0].ID)}, "body": {"Hello,"}})
	body = readBody(t, resp)
	if !strings.Contains(body, "Hello,\n\n[Reset your password](http") || !strings.Contains(body, "/kb/accounts/reset-password)") {
		t.Fatalf("article link not inserted into the draft:\n%s", body)
	}
	// A draft article is not insertable.
	var draft models.KBArticle
	w.s.app.Stores.DB.Gorm.Where("slug = ?", "draft").Take(&draft)
	wantStatus(t, w.agentB.deskPost(page, page+"/compose", url.Values{"insert_article": {fmt.Sprint(draft.ID)}}), http.StatusNotFound)

	// Attachments of notes are served to staff, as downloads.
	tkMsgs, _, _ := w.s.app.Stores.Tickets.TicketMessages(ctx, tk.ID)
	key, size, sum, _ := w.s.app.Storage.Put(ctx, strings.NewReader("<svg onload=alert(1)>"))
	att := models.Attachment{PublicID: "deskfile0123456789abcdef01234567", Filename: "x.svg", Size: size, ContentType: "image/svg+xml",
		StorageKey: key, SHA256: sum, CreatedAt: now, MessageID: &tkMsgs[2].ID, TicketID: &tk.ID}
	w.s.app.Stores.DB.Gorm.Create(&att)
	resp = w.agentB.get("/desk/attachments/" + att.PublicID)
	wantStatus(t, resp, http.StatusOK)
	if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("attachment headers: %v", resp.Header)
	}
	wantStatus(t, w.ann.get("/desk/attachments/"+att.PublicID), http.StatusSeeOther) // customers go to the staff sign-in
	wantStatus(t, w.agentB.get("/desk/attachments/nope"), http.StatusNotFound)
}

// The desk's reply takes files like the portal's: stored with their hash, shown to the agent
// and, on a public reply, to the customer; a file over 25 MiB is refused with the form kept.
func TestDeskReplyWithFiles(t *testing.T) {
	w := newDeskWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	tk := w.ticket(t, w.annC, "Send me the manual")
	page := "/desk/tickets/" + tk.Ref()
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 4000)...)
	resp := w.agentB.postMultipart(page, page+"/reply", url.Values{"kind": {"reply"}, "body": {"Here it is."}},
		[]upload{{field: "files", filename: "manual.pdf", contentType: "application/pdf", data: pdf}}, false)
	wantStatus(t, resp, http.StatusSeeOther)
	msgs, _, _ := w.s.app.Stores.Tickets.TicketMessages(ctx, tk.ID)
	last := msgs[len(msgs)-1]
	if len(last.Attachments) != 1 || last.Attachments[0].Filename != "manual.pdf" || last.Attachments[0].Size != int64(len(pdf)) {
		t.Fatalf("attachments: %+v", last.Attachments)
	}
	if !strings.Contains(readBody(t, w.ann.get("/portal/tickets/"+tk.Ref())), "manual.pdf") {
		t.Fatal("the customer does not see the agent's file")
	}
	got := readBody(t, w.agentB.get("/desk/attachments/"+last.Attachments[0].PublicID))
	if got != string(pdf) {
		t.Fatal("the stored file differs")
	}
	big := make([]byte, 25<<20+1)
	resp = w.agentB.postMultipart(page, page+"/reply", url.Values{"kind": {"reply"}, "body": {"KEEP-THIS-DRAFT"}},
		[]upload{{field: "files", filename: "big.bin", contentType: "application/octet-stream", data: big}}, false)
	wantStatus(t, resp, http.StatusRequestEntityTooLarge)
	if b := readBody(t, resp); !strings.Contains(b, "KEEP-THIS-DRAFT") {
		t.Fatal("the refused reply lost its draft")
	}
	if after, _, _ := w.s.app.Stores.Tickets.TicketMessages(ctx, tk.ID); len(after) != len(msgs) {
		t.Fatal("a refused reply was stored")
	}
}
