package handlers

// End-to-end journeys of the portal's tickets and the knowledge base in a real headless Chromium
// (harness in browser_test.go and browser_portal_test.go): the support form with a file, replies
// with files and their downloads, the My / Organisation tickets switch with and without
// JavaScript, and the knowledge base from a visitor's side and from the support form's. Like the
// other journeys, each test fails on any JavaScript error or Content-Security-Policy violation.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// ticketDesk is what the ticket journeys share: a default pipeline (New, Solved) and two
// companies, Acme with Ann and Ben and Globex with Gil, all verified with customerPassword.
type ticketDesk struct {
	s             *liveServer
	pipe          models.Pipeline
	acme, globex  models.Company
	ann, ben, gil models.Contact
}

// supportPipeline creates the default pipeline of the browser tests: New, then Solved (closed).
func (s *liveServer) supportPipeline(t *testing.T) models.Pipeline {
	t.Helper()
	pipe := models.Pipeline{Name: "Support", IsDefault: true, Stages: []models.PipelineStage{
		{Name: "New", Position: 1}, {Name: "Solved", Position: 2, IsClosed: true}}}
	if err := s.app.Stores.Pipelines.Create(context.Background(), &pipe); err != nil {
		t.Fatal(err)
	}
	return pipe
}

func newTicketDesk(t *testing.T, s *liveServer) *ticketDesk {
	t.Helper()
	ctx := context.Background()
	d := &ticketDesk{s: s}
	d.pipe = s.supportPipeline(t)
	d.acme, d.globex = models.Company{Name: "Acme"}, models.Company{Name: "Globex"}
	for _, co := range []*models.Company{&d.acme, &d.globex} {
		if err := s.app.Stores.Companies.Create(ctx, co); err != nil {
			t.Fatal(err)
		}
	}
	d.ann = companyCustomer(t, s, "Ann Acme", "ann@acme.example", d.acme.ID)
	d.ben = companyCustomer(t, s, "Ben Acme", "ben@acme.example", d.acme.ID)
	d.gil = companyCustomer(t, s, "Gil Globex", "gil@globex.example", d.globex.ID)
	return d
}

// companyCustomer stores a verified contact of a company with customerPassword.
func companyCustomer(t *testing.T, s *liveServer, name, email string, company int64) models.Contact {
	t.Helper()
	hash, err := app.HashPassword(customerPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := s.app.Now()
	c := models.Contact{Email: email, Name: name, PasswordHash: hash, EmailVerifiedAt: &now, Active: true, CompanyID: &company}
	if err := s.app.Stores.Contacts.Create(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// ticket stores a ticket of contact c (and its company) with one thread holding the
// customer's first message; closed puts it in the Solved stage.
func (d *ticketDesk) ticket(t *testing.T, c models.Contact, subject string, closed bool) models.Ticket {
	t.Helper()
	ctx := context.Background()
	now := d.s.app.Now()
	tk := models.Ticket{Subject: subject, PipelineID: d.pipe.ID, StageID: d.pipe.Stages[0].ID, Priority: models.PriorityNormal,
		SourceChannel: models.ChannelPortal, ContactID: &c.ID, CompanyID: c.CompanyID, CreatedAt: now, UpdatedAt: now,
		LastActivityAt: now}
	if closed {
		tk.StageID, tk.IsClosed, tk.ClosedAt = d.pipe.Stages[1].ID, true, &now
	}
	if err := d.s.app.Stores.Tickets.Create(ctx, &tk); err != nil {
		t.Fatal(err)
	}
	th := models.Thread{TicketID: tk.ID, Channel: models.ChannelPortal, CreatedAt: now, LastMessageAt: now}
	if err := d.s.app.Stores.Tickets.CreateThread(ctx, &th); err != nil {
		t.Fatal(err)
	}
	m := models.Message{ThreadID: th.ID, TicketID: tk.ID, AuthorKind: models.AuthorContact, AuthorContactID: &c.ID,
		Body: "First words about " + subject, CreatedAt: now}
	if err := d.s.app.Stores.Tickets.AddMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	return tk
}

// customerSignIn signs a customer in through the portal's form and waits for the portal home.
func (b *tab) customerSignIn(email string) {
	b.t.Helper()
	b.open("/portal/login")
	b.portalSignIn(email, customerPassword)
	b.waitPath("/portal")
}

// writeRandomFile writes size random bytes to a file called name in a temporary folder and
// returns its path and SHA-256 (hex).
func writeRandomFile(t *testing.T, name string, size int) (path, sum string) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	path = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return path, hex.EncodeToString(h[:])
}

// pageDownload is what the page's own fetch of a link got.
type pageDownload struct {
	Status      int    `json:"status"`
	ContentType string `json:"type"`
	Disposition string `json:"disposition"`
	SHA256      string `json:"sha256"`
}

// fetchFromPage downloads the href of the first element matching sel with the page's fetch
// (the browser's cookies, the page's CSP) and hashes the body in the browser.
func (b *tab) fetchFromPage(sel string) pageDownload {
	b.t.Helper()
	expr := `(async () => {
		const a = document.querySelector(` + jsString(sel) + `);
		const r = await fetch(a.href, {credentials: "same-origin"});
		const sum = await crypto.subtle.digest("SHA-256", await r.arrayBuffer());
		return {status: r.status, type: r.headers.get("Content-Type") || "",
			disposition: r.headers.get("Content-Disposition") || "",
			sha256: [...new Uint8Array(sum)].map(x => x.toString(16).padStart(2, "0")).join("")};
	})()`
	return run(b, "fetch "+sel, chromedp.Evaluate[pageDownload](expr, chromedp.EvalAwaitPromise))
}

// jsString quotes s as a JavaScript string literal (tests pass CSS selectors of their own).
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// downloadWithCookies fetches a path of the live server with a Go client carrying the tab's
// cookies, as a download manager handed the link would, and returns the status and the body's
// SHA-256.
func (b *tab) downloadWithCookies(path string) (int, string) {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + path}})
	if err != nil {
		b.t.Fatalf("read the browser's cookies: %v", err)
	}
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, hex.EncodeToString(h.Sum(nil))
}

// sentHTMX reports whether this tab sent an htmx request with method to a URL of the server
// starting with prefix.
func (b *tab) sentHTMX(method, prefix string) bool {
	b.log.mu.Lock()
	defer b.log.mu.Unlock()
	for _, r := range b.log.requests {
		if r.tab == b.name && r.method == method && r.htmx && strings.HasPrefix(r.url, b.base+prefix) {
			return true
		}
	}
	return false
}

// TestE2EPortalSubmitTicket: a customer goes from the portal's navigation to the support form,
// fills in subject, category, priority and description, attaches a file, submits, lands on the
// new ticket with its file, finds it listed on the portal home as Open, and has the
// confirmation e-mail in the outbox. The stored ticket has exactly what was typed.
func TestE2EPortalSubmitTicket(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	ctx := context.Background()
	d := newTicketDesk(t, s)
	if err := s.app.SaveSupportForm(ctx, models.SupportFormSettings{Category: models.FieldRequired,
		CategoryChoices: []string{"Billing", "Hardware"}, ShowPriority: true}); err != nil {
		t.Fatal(err)
	}
	file, sum := writeRandomFile(t, "router-log.bin", 150_000)
	b := newBrowser(t, s.url)
	b.customerSignIn(d.ann.Email)

	b.click(`header nav a[href="/portal/new"]`)
	b.waitPath("/portal/new")
	if got := b.text("#new-ticket-heading"); got != "Submit a support ticket" {
		t.Fatalf("support form heading = %q", got)
	}
	// First without the required category (the browser's own check taken away): the server
	// says so next to the field, in place, and keeps what was typed.
	if _, required := b.attr("#new-ticket-category", "required"); !required {
		t.Fatal("the required category is not required in the page")
	}
	eval[chromedp.Void](b, `document.getElementById("new-ticket-category").removeAttribute("required"); window.__marker = true`)
	b.do("fill in the support form without a category",
		chromedp.SendKeys(chromedp.ID("new-ticket-subject"), "Router blinks red"),
		chromedp.SetValue(chromedp.ID("new-ticket-priority"), "high"),
		chromedp.SendKeys(chromedp.ID("new-ticket-description"), "All lights went red after the update."),
		chromedp.SetUploadFiles(chromedp.ID("new-ticket-attachments"), []string{file}),
	)
	b.click("#new-ticket-form button[type=submit]")
	if got := b.text("#new-ticket-category-error"); got == "" {
		t.Fatal("no error next to the missing category")
	}
	if !eval[bool](b, `window.__marker === true`) {
		t.Error("the form came back by a reload instead of in place (htmx)")
	}
	if v, _ := b.attr("#new-ticket-category", "aria-invalid"); v != "true" {
		t.Errorf("category aria-invalid = %q", v)
	}
	if v := run(b, "read the subject", chromedp.Value(chromedp.ID("new-ticket-subject"))); v != "Router blinks red" {
		t.Errorf("subject after the error = %q", v)
	}
	if got := b.selectedText("new-ticket-priority"); got != "High" {
		t.Errorf("priority after the error = %q", got)
	}
	if n, err := s.app.Stores.Tickets.Count(ctx); err != nil || n != 0 {
		t.Fatalf("%d tickets stored from an invalid form (%v)", n, err)
	}
	b.do("choose the category and attach the file again",
		chromedp.SetValue(chromedp.ID("new-ticket-category"), "Hardware"),
		chromedp.SetUploadFiles(chromedp.ID("new-ticket-attachments"), []string{file}),
	)
	if got := b.selectedText("new-ticket-category"); got != "Hardware" {
		t.Fatalf("category shows %q", got)
	}
	b.click("#new-ticket-form button[type=submit]")
	b.waitTrue("the new ticket's page", `location.pathname.startsWith("/portal/tickets/T-") && !!document.querySelector("body > footer")`)

	tickets, err := s.app.Stores.Tickets.Recent(ctx, 10)
	if err != nil || len(tickets) != 1 {
		t.Fatalf("tickets after submitting: %+v, %v", tickets, err)
	}
	tk := tickets[0]
	switch {
	case tk.Subject != "Router blinks red" || tk.Category != "Hardware" || tk.Priority != models.PriorityHigh:
		t.Errorf("stored subject/category/priority = %q/%q/%q", tk.Subject, tk.Category, tk.Priority)
	case tk.ContactID == nil || *tk.ContactID != d.ann.ID || tk.CompanyID == nil || *tk.CompanyID != d.acme.ID:
		t.Errorf("stored contact/company = %v/%v", tk.ContactID, tk.CompanyID)
	case tk.IsClosed || tk.StageID != d.pipe.Stages[0].ID:
		t.Errorf("stored stage %d (closed %v), want the first open stage", tk.StageID, tk.IsClosed)
	}
	b.waitPath("/portal/tickets/" + tk.Ref())
	if got := b.text("#flash [role=status]"); !strings.Contains(got, "Your ticket has been submitted") {
		t.Errorf("flash after submitting = %q", got)
	}
	if got := b.text("article.ticket h1"); got != tk.Ref()+" Router blinks red" {
		t.Errorf("ticket heading = %q", got)
	}
	if got := b.text("#conversation .message .body"); got != "All lights went red after the update." {
		t.Errorf("first message = %q", got)
	}
	if got := b.text("#conversation .files a[download]"); got != "router-log.bin" {
		t.Errorf("attachment link = %q", got)
	}
	dl := b.fetchFromPage("#conversation .files a[download]")
	if dl.Status != http.StatusOK || dl.SHA256 != sum {
		t.Errorf("download: status %d, SHA-256 %s, want %s", dl.Status, dl.SHA256, sum)
	}
	if dl.ContentType != "application/octet-stream" || !strings.HasPrefix(dl.Disposition, "attachment") {
		t.Errorf("download served as %q, %q; want a forced download", dl.ContentType, dl.Disposition)
	}

	b.click(`main a[href="/portal"]`) // "Back to your tickets"
	b.waitPath("/portal")
	row := `#ticket-list tbody tr`
	b.do("wait for the listing", chromedp.WaitVisible(chromedp.CSS(row)))
	if n := eval[int](b, `document.querySelectorAll("#ticket-list tbody tr").length`); n != 1 {
		t.Fatalf("listing has %d rows, want the new ticket alone", n)
	}
	if got := b.text(row + " td:nth-child(1) a"); got != tk.Ref() {
		t.Errorf("listed reference = %q", got)
	}
	if got := b.text(row + " td:nth-child(2) a"); got != "Router blinks red" {
		t.Errorf("listed subject = %q", got)
	}
	if got := b.text(row + " .status"); got != "Open" {
		t.Errorf("listed status = %q, want Open", got)
	}

	subject, body := s.lastEmail(d.ann.Email)
	if subject != "["+tk.Ref()+"] We received your request: Router blinks red" {
		t.Errorf("confirmation subject = %q", subject)
	}
	if !strings.Contains(body, s.url+"/portal/tickets/"+tk.Ref()) {
		t.Errorf("confirmation does not link to the ticket:\n%s", body)
	}
	if n := s.emailCount(d.ann.Email); n != 1 {
		t.Errorf("%d e-mails to the customer, want one confirmation", n)
	}
}

// TestE2EPortalReplyWithFile: on an open ticket a customer's empty reply is refused next to the
// box; a reply with text and a file then shows in the conversation with a link whose download,
// by the page and by a client with the browser's cookies, has the file's exact bytes. Another
// customer's client gets 404 for the same link. A closed ticket shows why it takes no reply, and
// no reply box.
func TestE2EPortalReplyWithFile(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	d := newTicketDesk(t, s)
	open := d.ticket(t, d.ann, "Printer jams", false)
	closed := d.ticket(t, d.ann, "Old invoice question", true)
	file, sum := writeRandomFile(t, "jam photo.jpg", 300_000)
	first := newBrowser(t, s.url)
	b := first.newContext(t, "ann")
	b.customerSignIn(d.ann.Email)
	page := "/portal/tickets/" + open.Ref()

	b.click(`#ticket-list a[href="` + page + `"]`)
	b.waitPath(page)
	if status := b.submit(`form[action="` + page + `/reply"] button[type=submit]`); status != http.StatusOK {
		t.Fatalf("empty reply: status %d, want the form again with 200", status)
	}
	if got := b.text("#reply-body-error"); got == "" {
		t.Fatal("an empty reply shows no error")
	}
	if v, _ := b.attr("#reply-body", "aria-invalid"); v != "true" {
		t.Errorf("reply box aria-invalid = %q after an empty reply", v)
	}

	b.retype("reply-body", "Here is a photo of the jam.")
	b.do("attach the photo", chromedp.SetUploadFiles(chromedp.ID("reply-files"), []string{file}))
	b.submit(`form[action="` + page + `/reply"] button[type=submit]`)
	b.waitPath(page)
	if got := b.text("#flash [role=status]"); got != "Your reply was sent." {
		t.Errorf("flash after replying = %q", got)
	}
	last := "#conversation .message:last-child"
	if got := b.text(last + " .body"); got != "Here is a photo of the jam." {
		t.Fatalf("last message = %q", got)
	}
	if got := b.text(last + " .meta strong"); got != "Ann Acme" {
		t.Errorf("last message's author = %q", got)
	}
	link := last + " .files a[download]"
	if got := b.text(link); got != "jam photo.jpg" {
		t.Fatalf("attachment link text = %q", got)
	}
	if dl := b.fetchFromPage(link); dl.Status != http.StatusOK || dl.SHA256 != sum {
		t.Errorf("page download: status %d, SHA-256 %s, want %s", dl.Status, dl.SHA256, sum)
	}
	href, _ := b.attr(link, "href")
	if !strings.HasPrefix(href, "/portal/attachments/") {
		t.Fatalf("attachment href = %q", href)
	}
	if status, got := b.downloadWithCookies(href); status != http.StatusOK || got != sum {
		t.Errorf("download with the browser's cookies: status %d, SHA-256 %s, want %s", status, got, sum)
	}
	gil := first.newContext(t, "gil")
	gil.customerSignIn(d.gil.Email)
	if status, _ := gil.downloadWithCookies(href); status != http.StatusNotFound {
		t.Errorf("another company's customer downloads the file: status %d, want 404", status)
	}

	b.open("/portal/tickets/" + closed.Ref())
	if got := b.text("section.reply .card"); got != "This ticket is closed, so it takes no more replies. To follow up, submit a new ticket." {
		t.Errorf("closed ticket's reply section says %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#reply-body, section.reply form").length`); n != 0 {
		t.Error("a closed ticket offers the reply box")
	}
	if got := b.text("#conversation .status"); got != "Closed" {
		t.Errorf("closed ticket's status = %q", got)
	}
}

// TestE2EPortalOrganisationTickets: with company sharing switched on by the admin in the
// browser, Ann sees only her own ticket under My tickets and her colleague Ben's under
// Organisation tickets, and may open it; another company's ticket never shows. With sharing off
// the switch is gone, ?view=org shows her own tickets only and Ben's ticket is 404. Every
// customer step runs with JavaScript and without it.
func TestE2EPortalOrganisationTickets(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	d := newTicketDesk(t, s)
	mine := d.ticket(t, d.ann, "Ann's VPN drops", false)
	colleague := d.ticket(t, d.ben, "Ben's printer jams", false)
	other := d.ticket(t, d.gil, "Gil's secret plans", false)
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	first := newBrowser(t, s.url)

	listed := func(b *tab) string {
		b.t.Helper()
		b.do("wait for the listing", chromedp.WaitReady(chromedp.CSS("#ticket-list")))
		return eval[string](b, `[...document.querySelectorAll("#ticket-list tbody td:nth-child(2)")].map(td => td.textContent.trim()).join(" | ")`)
	}
	// sharedView checks the listing as Ann with sharing on; withJS switches by the radio
	// (htmx), without it by the radio and the Apply button (a plain GET form).
	sharedView := func(t *testing.T, withJS bool) {
		b := first.newContext(t, "ann")
		if !withJS {
			b.disableJavaScript()
		}
		b.customerSignIn(d.ann.Email)
		if got := listed(b); got != mine.Subject {
			t.Fatalf("My tickets lists %q, want Ann's own only", got)
		}
		if !run(b, "read the view", chromedp.JavascriptAttribute[bool](chromedp.CSS(`input[name="view"][value="mine"]`), "checked")) {
			t.Error("My tickets is not the chosen view")
		}
		if withJS {
			eval[bool](b, `window.__marker = true`)
		}
		b.click(`input[name="view"][value="org"]`)
		if withJS {
			b.waitTrue("the Organisation listing", `document.querySelector("#ticket-list")?.textContent.includes("Ben's printer jams")`)
			if !eval[bool](b, `window.__marker === true`) {
				t.Error("switching the view reloaded the page instead of swapping the listing")
			}
			b.waitTrue("the view in the address", `new URLSearchParams(location.search).get("view") === "org"`)
		} else {
			b.submit("form.filters button[type=submit]")
			b.waitPath("/portal?view=org&status=&sort=activity&q=")
		}
		got := listed(b)
		if !strings.Contains(got, colleague.Subject) || !strings.Contains(got, mine.Subject) {
			t.Errorf("Organisation tickets lists %q, want Ann's and Ben's", got)
		}
		if strings.Contains(got, other.Subject) {
			t.Errorf("Organisation tickets lists another company's ticket: %q", got)
		}
		b.click(`#ticket-list a[href="/portal/tickets/` + colleague.Ref() + `"]`)
		b.waitPath("/portal/tickets/" + colleague.Ref())
		if got := b.text("article.ticket h1"); got != colleague.Ref()+" "+colleague.Subject {
			t.Errorf("colleague's ticket heading = %q", got)
		}
		if status := b.open("/portal?view=mine"); status != http.StatusOK {
			t.Fatalf("My tickets: status %d", status)
		}
		if got := listed(b); got != mine.Subject {
			t.Errorf("back on My tickets the listing is %q", got)
		}
	}
	unsharedView := func(t *testing.T, withJS bool) {
		b := first.newContext(t, "ann")
		if !withJS {
			b.disableJavaScript()
		}
		b.expect("status of 404") // Chromium logs the deliberate 404 as a failed resource
		b.customerSignIn(d.ann.Email)
		if n := eval[int](b, `document.querySelectorAll('input[name="view"]').length`); n != 0 {
			t.Error("the My / Organisation switch is shown with sharing off")
		}
		b.open("/portal?view=org")
		if got := listed(b); got != mine.Subject {
			t.Errorf("?view=org with sharing off lists %q, want Ann's own only", got)
		}
		if status := b.open("/portal/tickets/" + colleague.Ref()); status != http.StatusNotFound {
			t.Errorf("colleague's ticket with sharing off: status %d, want 404", status)
		}
		if strings.Contains(eval[string](b, `document.body.textContent`), colleague.Subject) {
			t.Error("the 404 page shows the colleague's ticket")
		}
	}

	t.Run("admin shares company tickets", func(t *testing.T) {
		b := first.newContext(t, "admin")
		b.adminSignIn("ada@example.com", pw)
		b.open("/admin/portal/tickets")
		if b.checked("tickets-visibility-company") || !b.checked("tickets-visibility-own") {
			t.Fatal("company sharing is on before the admin chose it")
		}
		b.click("#tickets-visibility-company")
		b.submit(`form[action="/admin/portal/tickets"] button[name="save"]`)
		b.waitPath("/admin/portal/tickets")
		if !b.checked("tickets-visibility-company") {
			t.Fatal("company sharing did not stay chosen after saving")
		}
		if p, err := s.app.Portal(context.Background()); err != nil || p.TicketVisibility != models.VisibilityCompany {
			t.Fatalf("saved visibility = %q, %v", p.TicketVisibility, err)
		}
	})
	t.Run("shared with JavaScript", func(t *testing.T) { sharedView(t, true) })
	t.Run("shared without JavaScript", func(t *testing.T) { sharedView(t, false) })

	p, err := s.app.Portal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.TicketVisibility = models.VisibilityOwn
	if err := s.app.SavePortal(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Run("not shared with JavaScript", func(t *testing.T) { unsharedView(t, true) })
	t.Run("not shared without JavaScript", func(t *testing.T) { unsharedView(t, false) })
}

// TestE2EKnowledgeBase: a visitor goes from /kb to a category and an article rendered from
// Markdown (raw HTML dropped), searches, and votes the article helpful, thanked in place. On the
// support form, a customer typing a subject gets matching articles (htmx) and reaches them with
// the Tab key.
func TestE2EKnowledgeBase(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	ctx := context.Background()
	d := newTicketDesk(t, s)
	billing := models.KBCategory{Slug: "billing", Name: "Billing", Description: "Invoices and payments"}
	if err := s.app.Stores.KB.CreateCategory(ctx, &billing); err != nil {
		t.Fatal(err)
	}
	now := s.app.Now()
	for _, a := range []models.KBArticle{
		{Slug: "invoice-address", Title: "Change the address on your invoices", Status: models.ArticlePublished, PublishedAt: &now,
			Body: "## Where to change it\n\nOpen **Settings** and then:\n\n- choose *Billing*\n- edit the address\n\n" +
				"See [our terms](https://example.com/terms).\n\n<script>window.__injected = true</script>\n\n`code sample`\n"},
		{Slug: "refunds", Title: "Refund policy", Status: models.ArticlePublished, PublishedAt: &now,
			Body: "Refunds are paid within 14 days of a cancelled order."},
		{Slug: "draft-prices", Title: "Next year's invoice prices", Status: models.ArticleDraft, Body: "Secret invoice prices."},
	} {
		a.CategoryID = billing.ID
		if err := s.app.Stores.KB.CreateArticle(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	first := newBrowser(t, s.url)

	t.Run("visitor browses, searches and votes", func(t *testing.T) {
		b := first.newContext(t, "visitor")
		if status := b.open("/kb"); status != http.StatusOK {
			t.Fatalf("GET /kb: status %d", status)
		}
		b.click(`#kb-categories a[href="/kb/billing"]`)
		b.waitPath("/kb/billing")
		if got := b.text("main h1"); got != "Billing" {
			t.Errorf("category heading = %q", got)
		}
		titles := eval[string](b, `[...document.querySelectorAll("#kb-articles h2")].map(h => h.textContent.trim()).join(" | ")`)
		if !strings.Contains(titles, "Refund policy") || strings.Contains(titles, "Next year's") {
			t.Errorf("category lists %q (published only expected)", titles)
		}
		b.click(`#kb-articles a[href="/kb/billing/invoice-address"]`)
		b.waitPath("/kb/billing/invoice-address")
		if got := b.text("#kb-article-title"); got != "Change the address on your invoices" {
			t.Errorf("article title = %q", got)
		}
		if got := b.text("#kb-body h2"); got != "Where to change it" {
			t.Errorf("Markdown heading = %q", got)
		}
		if got := b.text("#kb-body strong"); got != "Settings" {
			t.Errorf("Markdown bold = %q", got)
		}
		if n := eval[int](b, `document.querySelectorAll("#kb-body ul > li").length`); n != 2 {
			t.Errorf("Markdown list has %d items, want 2", n)
		}
		if href, _ := b.attr("#kb-body a", "href"); href != "https://example.com/terms" {
			t.Errorf("Markdown link href = %q", href)
		}
		if got := b.text("#kb-body code"); got != "code sample" {
			t.Errorf("Markdown code = %q", got)
		}
		if eval[bool](b, `document.querySelectorAll("#kb-body script").length > 0 || window.__injected === true`) {
			t.Error("raw HTML in the article's Markdown reached the page")
		}

		b.do("search for refunds", chromedp.SendKeys(chromedp.ID("kb-q"), "refund"+kb.Enter))
		b.waitPath("/kb/search?q=refund")
		if got := b.text("#kb-result-count"); !strings.Contains(got, "1") {
			t.Errorf("result count = %q", got)
		}
		if got := b.text("#kb-results h2 a"); got != "Refund policy" {
			t.Errorf("first result = %q", got)
		}
		if got := b.text("#kb-results .kb-snippet mark"); !strings.EqualFold(got, "refunds") && !strings.EqualFold(got, "refund") {
			t.Errorf("snippet highlight = %q", got)
		}
		b.open("/kb/search?q=prices")
		if n := eval[int](b, `document.querySelectorAll("#kb-results li").length`); n != 0 {
			t.Error("search finds a draft article")
		}

		b.open("/kb/billing/invoice-address")
		eval[bool](b, `window.__marker = true`)
		b.click(`#kb-feedback button[value="yes"]`)
		b.waitTrue("the thanks", `document.querySelector("#kb-feedback [role=status]")?.textContent.trim() === "Thank you for your feedback."`)
		if !eval[bool](b, `window.__marker === true`) {
			t.Error("voting reloaded the page instead of swapping the box")
		}
		if n := eval[int](b, `document.querySelectorAll("#kb-feedback button").length`); n != 0 {
			t.Error("the vote buttons are still offered after voting")
		}
		art, err := s.app.Stores.KB.ArticleInCategory(ctx, billing.ID, "invoice-address")
		if err != nil || art.HelpfulYes != 1 || art.HelpfulNo != 0 {
			t.Errorf("votes stored: yes %d no %d (%v), want one yes", art.HelpfulYes, art.HelpfulNo, err)
		}
	})

	t.Run("support form suggests articles", func(t *testing.T) {
		b := first.newContext(t, "ann")
		b.customerSignIn(d.ann.Email)
		b.open("/portal/new")
		b.do("type a subject", chromedp.SendKeys(chromedp.ID("new-ticket-subject"), "invoices addr"))
		b.waitTrue("the suggestions", `!!document.querySelector('#kb-suggestions a[href="/kb/billing/invoice-address"]')`)
		got := eval[string](b, `[...document.querySelectorAll("#kb-suggestions li")].map(li => li.textContent.trim()).join(" | ")`)
		if got != "Change the address on your invoices" {
			t.Errorf("suggestions = %q, want the one matching article", got)
		}
		if !b.sentHTMX("GET", "/kb/suggest?") {
			t.Error("no htmx request for suggestions was sent")
		}
		if v, _ := b.attr("#kb-suggestions", "aria-live"); v != "polite" {
			t.Errorf("suggestions aria-live = %q", v)
		}
		// Keyboard: from the subject, Tab reaches the suggestion, and Enter opens it.
		b.do("tab to the suggestion", chromedp.Focus(chromedp.ID("new-ticket-subject")), chromedp.KeyEvent(kb.Tab))
		if got := eval[string](b, `document.activeElement?.getAttribute("href") ?? ""`); got != "/kb/billing/invoice-address" {
			t.Fatalf("Tab from the subject focused %q, want the suggestion", got)
		}
		b.do("open the suggestion", chromedp.KeyEvent(kb.Enter))
		b.waitPath("/kb/billing/invoice-address")
		if got := b.text("#kb-article-title"); got != "Change the address on your invoices" {
			t.Errorf("suggested article opened as %q", got)
		}
	})
}
