package handlers

// XSS-01: a corpus of hostile strings (testdata/xss_payloads.txt) is put into every field a
// person can fill in today, and the pages that show those fields are opened in Chromium as a
// customer, an agent and an admin. The pages' Content-Security-Policy is bypassed, so that
// the test checks the output encoding and the sanitisers themselves, not only the CSP behind
// them. The test fails on any dialog, any console message or request carrying the marker,
// any request to the marker host, and on any element or attribute a payload managed to create:
// inline event handlers, scripts or styles without the page's nonce, javascript:/data:
// addresses, htmx attributes carrying a payload's token or sitting inside an hx-disable region,
// and any region of sanitised HTML that is not wrapped in hx-disable.
//
// Each (field, payload) pair gets a token, xq<field><index>z, put in front of the payload and
// in place of its {T}: whatever runs, loads or survives names its field and payload, and the
// tokens found on a page say which pairs it rendered. Payloads go in by rounds of 20, many to
// a page, to keep the run short.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// xssFields names every field the corpus goes into, by its two-letter token code.
var xssFields = map[string]string{
	"SB": "ticket subject",
	"CM": "customer message body",
	"SR": "staff reply (app.ReplyAsStaff)",
	"SD": "staff rich reply (app.DeskReply, Markdown)",
	"CN": "contact name",
	"CO": "company name",
	"FN": "attachment filename",
	"ES": "e-mail subject (outbox)",
	"EB": "e-mail text body (outbox)",
	"EH": "e-mail HTML body (outbox)",
	"WT": "branding welcome text",
	"NL": "branding nav label",
	"PT": "portal title",
	"CL": "support-form custom field label",
	"CV": "support-form custom field value",
	"KC": "KB category name",
	"KT": "KB article title",
	"KB": "KB article Markdown body",
	"FR": "ticket filter rule value",
	"CT": "consent text",
}

// xssNotShown are fields stored but shown by no page today: the outbox page shows an e-mail's
// text, never its HTML. They are seeded all the same, for the page that will show them.
var xssNotShown = map[string]bool{"EH": true}

var xssTokenRe = regexp.MustCompile(`xq([A-Z]{2})(\d{3})z`)

// loadXSSPayloads reads the corpus: one payload a line, "# " comments, \n \r \t escapes.
func loadXSSPayloads(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("testdata/xss_payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	unescape := strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\t`, "\t")
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || line == "#" || strings.HasPrefix(line, "# ") {
			continue
		}
		out = append(out, unescape.Replace(line))
	}
	return out
}

// xssCorpus hands out field values: token, a space, then the payload with its {T} filled in.
type xssCorpus struct {
	payloads []string
	mu       sync.Mutex
	seeded   map[string]bool // tokens put into the application
}

func (x *xssCorpus) token(field string, i int) string { return fmt.Sprintf("xq%s%03dz", field, i) }

func (x *xssCorpus) val(field string, i int) string {
	tok := x.token(field, i)
	x.mu.Lock()
	x.seeded[tok] = true
	x.mu.Unlock()
	return tok + " " + strings.ReplaceAll(x.payloads[i], "{T}", tok)
}

// join is the values of field for payloads idx, one a line.
func (x *xssCorpus) join(field string, idx []int) string {
	var parts []string
	for _, i := range idx {
		parts = append(parts, x.val(field, i))
	}
	return strings.Join(parts, "\n")
}

// xssPageCheck runs in each page once it has loaded: it lists the tokens in the document and
// everything a payload should never have been able to make.
const xssPageCheck = `(() => {
  const tokRe = /xq[A-Z]{2}\d{3}z/g, hasTok = s => !!s && /xq[A-Z]{2}\d{3}z/.test(s);
  const found = new Set(document.documentElement.outerHTML.match(tokRe) || []);
  const bad = [];
  const where = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const urlAttrs = new Set(['href','src','action','formaction','data','poster','background','srcset','xlink:href','ping','codebase','srcdoc','content']);
  const badScheme = /^[\s\u0000-\u001f]*(javascript|vbscript)\s*:/i, dataScheme = /^[\s\u0000-\u001f]*data\s*:/i;
  const rawText = new Set(['SCRIPT','STYLE','TEMPLATE','XMP','NOSCRIPT','NOEMBED','NOFRAMES','PLAINTEXT','IFRAME','OBJECT','EMBED','BASE','META','LINK','FRAME','FRAMESET','SVG','MATH','VIDEO','AUDIO','SOURCE','MARQUEE','PORTAL','APPLET']);
  for (const el of document.querySelectorAll('*')) {
    const region = el.parentElement && el.parentElement.closest('[hx-disable]');
    for (const a of el.attributes) {
      const n = a.name.toLowerCase(), v = a.value;
      if (n.startsWith('on')) bad.push('event handler ' + n + ' on ' + where(el) + ': ' + v.slice(0, 80));
      else if (hasTok(n)) bad.push('attribute named by a payload on ' + where(el) + ': ' + n);
      else if ((n.startsWith('hx-') || n.startsWith('data-hx-')) && n !== 'hx-disable' && (hasTok(v) || region))
        bad.push('htmx attribute ' + n + (region ? ' inside an hx-disable region' : '') + ' on ' + where(el) + ': ' + v.slice(0, 80));
      else if (urlAttrs.has(n) && (badScheme.test(v) || (dataScheme.test(v) && hasTok(v))))
        bad.push('script address in ' + n + ' of ' + where(el) + ': ' + v.slice(0, 80));
      else if ((n === 'style' || n === 'srcdoc' || urlAttrs.has(n) && el.tagName !== 'A' && el.tagName !== 'INPUT') && hasTok(v))
        bad.push('payload in ' + n + ' of ' + where(el) + ': ' + v.slice(0, 80));
    }
    if (rawText.has(el.tagName.toUpperCase()) && hasTok(el.outerHTML)) bad.push('payload element ' + where(el) + ': ' + el.outerHTML.slice(0, 100));
  }
  for (const s of document.querySelectorAll('script:not([nonce]), style:not([nonce])')) bad.push('element without the page nonce: ' + s.outerHTML.slice(0, 100));
  const sinks = document.querySelectorAll('.kb-body, .consent-notice, .thread .body, .thread .files, .user-content');
  for (const s of sinks) if (!s.closest('[hx-disable]')) bad.push('user-content region outside hx-disable: ' + where(s));
  return {found: [...found], bad, sinks: sinks.length};
})()`

// xssPageResult is what xssPageCheck returns.
type xssPageResult struct {
	Found []string `json:"found"`
	Bad   []string `json:"bad"`
	Sinks int      `json:"sinks"`
}

// xssRun is one browser session of the test: its tabs and what they saw.
type xssRun struct {
	t        *testing.T
	srv      *liveServer
	corpus   *xssCorpus
	mu       sync.Mutex
	dialogs  []string
	rendered map[string]map[string]bool // role → tokens seen
	opened   map[string]bool            // the addresses the test itself opened
	bad      []string
	pages    int
	sinks    int
}

// role opens a tab in its own browser context, with CSP bypassed, the given cookies, and
// dialogs recorded and dismissed.
func (r *xssRun) role(first *tab, name string, cookies map[string]string) *tab {
	r.t.Helper()
	tb := first.newContext(r.t, name)
	if _, err := chromedp.Call(tb.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		r.t.Fatal(err)
	}
	ctx := tb.ctx
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			r.mu.Lock()
			r.dialogs = append(r.dialogs, fmt.Sprintf("%s: %s dialog %q at %s", name, d.Type, d.Message, d.URL))
			r.mu.Unlock()
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}); err != nil {
		r.t.Fatal(err)
	}
	for k, v := range cookies {
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: k, Value: v, URL: r.srv.url}); err != nil {
			r.t.Fatal(err)
		}
	}
	return tb
}

// visit opens path in tb as role and checks the page; it returns the page's next-page link.
func (r *xssRun) visit(tb *tab, role, path string) string {
	r.t.Helper()
	r.mu.Lock()
	r.opened[r.srv.url+path] = true
	r.mu.Unlock()
	if status := tb.open(path); status != http.StatusOK {
		r.t.Fatalf("%s: %s answered %d", role, path, status)
	}
	res := eval[xssPageResult](tb, xssPageCheck)
	next := eval[string](tb, `(document.querySelector('a[rel=next], p.pager a') || {}).href || ''`)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pages++
	r.sinks += res.Sinks
	if r.rendered[role] == nil {
		r.rendered[role] = map[string]bool{}
	}
	for _, tok := range res.Found {
		r.rendered[role][tok] = true
	}
	for _, b := range res.Bad {
		r.bad = append(r.bad, role+" "+path+": "+b)
	}
	return next
}

// visitAll visits path and the pages its rel=next links lead to.
func (r *xssRun) visitAll(tb *tab, role, path string) {
	for i := 0; path != "" && i < 15; i++ {
		next := r.visit(tb, role, path)
		path = strings.TrimPrefix(next, r.srv.url)
	}
}

func TestE2EXSSCorpus(t *testing.T) {
	corpus := &xssCorpus{payloads: loadXSSPayloads(t), seeded: map[string]bool{}}
	if n := len(corpus.payloads); n < 200 {
		t.Fatalf("the corpus has %d payloads, want about 200", n)
	}
	start := time.Now()
	db := dbtest.SQLite(t)
	srv := newLiveServer(t, db)
	ctx := context.Background()
	a := srv.app
	r := &xssRun{t: t, srv: srv, corpus: corpus, rendered: map[string]map[string]bool{}, opened: map[string]bool{}}

	// The marker host: Chromium resolves xss.test to a local listener that counts what reaches it.
	var hits []string
	var hitsMu sync.Mutex
	marker := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hitsMu.Lock()
		hits = append(hits, req.Method+" "+req.Host+req.URL.String())
		hitsMu.Unlock()
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go marker.Serve(ln)
	t.Cleanup(func() { marker.Close() })

	// People: a customer, an agent and an admin, signed in over HTTP; their cookies go to the
	// browser's tabs.
	pipe := models.Pipeline{Name: "Support", Stages: []models.PipelineStage{{Name: "New", Position: 1}, {Name: "Done", Position: 2, IsClosed: true}}}
	if err := a.Stores.Pipelines.Create(ctx, &pipe); err != nil {
		t.Fatal(err)
	}
	acme := models.Company{Name: "Acme"}
	if err := a.Stores.Companies.Create(ctx, &acme); err != nil {
		t.Fatal(err)
	}
	hash, _ := app.HashPassword(worldPassword)
	now := time.Now().UTC()
	ann := models.Contact{Email: "ann@acme.example", Name: "Ann", PasswordHash: hash, EmailVerifiedAt: &now, Active: true, CompanyID: &acme.ID}
	if err := a.Stores.Contacts.Create(ctx, &ann); err != nil {
		t.Fatal(err)
	}
	// Custom answers are ticket properties: the desk shows those that have a definition.
	if _, err := a.Stores.Properties.Create(ctx, models.PropertyInput{Key: "f0", Label: "Answer", Kind: models.KindTextarea}); err != nil {
		t.Fatal(err)
	}
	agentUser, _ := srv.staff(models.RoleAgent, "agent@example.com")
	adminUser, _ := srv.staff(models.RoleAdmin, "admin@example.com")
	customer := srv.browser()
	wantStatus(t, customer.portalLogin(ann.Email, worldPassword), http.StatusSeeOther)
	agentB, adminB := srv.browser(), srv.browser()
	wantStatus(t, agentB.login("agent@example.com", staffPassword), http.StatusSeeOther)
	wantStatus(t, adminB.login("admin@example.com", staffPassword), http.StatusSeeOther)

	// The portal's settings take every payload at once, stored as they are (no validation: the
	// pages must be safe whatever the stored settings hold).
	all := make([]int, len(corpus.payloads))
	for i := range all {
		all[i] = i
	}
	p, err := a.Portal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Title = corpus.join("PT", all)
	p.Branding.Welcome = corpus.join("WT", all)
	p.Branding.Nav = nil
	p.SupportForm.Fields = nil
	// Filters are checked again whenever they are used: rules of at most 50 values of at most
	// 200 bytes, each letting every priority through, so that every ticket stays in the portal.
	p.TicketFilters = nil
	for _, i := range all {
		p.Branding.Nav = append(p.Branding.Nav, models.NavLink{Label: corpus.val("NL", i), URL: "/kb"})
		p.SupportForm.Fields = append(p.SupportForm.Fields, models.CustomField{Key: fmt.Sprintf("f%d", i),
			Label: corpus.val("CL", i), Type: models.CustomText})
		if i%46 == 0 {
			rule := models.FilterRule{Property: "priority", Op: models.OpAnyOf}
			for _, pr := range models.Priorities {
				rule.Values = append(rule.Values, string(pr))
			}
			p.TicketFilters = append(p.TicketFilters, rule)
		}
		rule := &p.TicketFilters[len(p.TicketFilters)-1]
		v := corpus.val("FR", i)
		if len(v) > 200 {
			v = strings.ToValidUTF8(v[:200], "")
		}
		rule.Values = append(rule.Values, v)
	}
	if err := a.Stores.Settings.Put(ctx, "portal", p); err != nil {
		t.Fatal(err)
	}
	settingsSaved := time.Now()

	// Everything is stored first (the browser's time is bounded), with the pages to open.
	type visit struct{ tab, role, path string }
	var visits []visit
	const batch = 20
	for round := 0; round*batch < len(corpus.payloads); round++ {
		var idx []int
		for i := round * batch; i < min((round+1)*batch, len(corpus.payloads)); i++ {
			idx = append(idx, i)
		}
		at := now.Add(time.Duration(round) * time.Hour)

		// Names: the customer's own and her company's carry the round's payloads; each payload
		// also gets a contact and a company of its own for the admin's lists.
		db.Gorm.Model(&models.Contact{}).Where("id = ?", ann.ID).Update("name", corpus.join("CN", idx))
		db.Gorm.Model(&models.Company{}).Where("id = ?", acme.ID).Update("name", corpus.join("CO", idx))
		for _, i := range idx {
			co := models.Company{Name: corpus.val("CO", i)}
			must(t, a.Stores.Companies.Create(ctx, &co))
			must(t, a.Stores.Contacts.Create(ctx, &models.Contact{Email: fmt.Sprintf("c%03d@x.example", i),
				Name: corpus.val("CN", i), Active: true, CompanyID: &co.ID}))
		}

		// Tickets: one per payload for the listings, and one for the round's conversation (its
		// subject stays plain: a reply's e-mail takes the subject, and mail headers refuse line
		// breaks).
		for n, i := range idx {
			must(t, a.Stores.Tickets.Create(ctx, &models.Ticket{Subject: corpus.val("SB", i), PipelineID: pipe.ID,
				StageID: pipe.Stages[0].ID, Priority: models.PriorityNormal, SourceChannel: models.ChannelPortal,
				ContactID: &ann.ID, CompanyID: &acme.ID, CreatedAt: at, UpdatedAt: at,
				LastActivityAt: at.Add(time.Duration(n) * time.Second), Properties: models.Props{"f0": corpus.val("CV", i)}}))
		}
		tk := models.Ticket{Subject: fmt.Sprintf("Conversation %d", round), PipelineID: pipe.ID, StageID: pipe.Stages[0].ID,
			Priority: models.PriorityNormal, SourceChannel: models.ChannelPortal, ContactID: &ann.ID, CompanyID: &acme.ID,
			CreatedAt: at, UpdatedAt: at, LastActivityAt: at, Properties: models.Props{"f0": corpus.join("CV", idx)}}
		must(t, a.Stores.Tickets.Create(ctx, &tk))
		th := models.Thread{TicketID: tk.ID, Channel: models.ChannelPortal, CreatedAt: at}
		must(t, a.Stores.Tickets.CreateThread(ctx, &th))
		for _, i := range idx {
			m := models.Message{ThreadID: th.ID, TicketID: tk.ID, AuthorKind: models.AuthorContact, AuthorContactID: &ann.ID,
				Body: corpus.val("CM", i), CreatedAt: at, Attachments: []models.Attachment{{PublicID: app.NewToken()[:32],
					Filename: corpus.val("FN", i), Size: 1, ContentType: "text/plain", StorageKey: "00/none", SHA256: "00", CreatedAt: at}}}
			must(t, a.Stores.Tickets.AddMessage(ctx, &m))
		}
		for _, i := range idx {
			if _, err := a.ReplyAsStaff(ctx, agentUser, tk.ID, corpus.val("SR", i), false); err != nil {
				t.Fatalf("ReplyAsStaff: %v", err)
			}
			if _, err := a.DeskReply(ctx, agentUser, tk.ID, app.DeskReplyInput{Body: corpus.val("SD", i), Channel: models.ChannelPortal}); err != nil {
				t.Fatalf("DeskReply: %v", err)
			}
		}

		// E-mails in the outbox: one per payload's subject, the round's bodies in the last.
		var email models.OutboxEmail
		for _, i := range idx {
			email = models.OutboxEmail{ToAddr: "ann@acme.example", Subject: corpus.val("ES", i), Kind: "agent_reply",
				Status: "sent", TextBody: "text", CreatedAt: at, SentAt: &at}
			if i == idx[len(idx)-1] {
				email.TextBody, email.HTMLBody = corpus.join("EB", idx), corpus.join("EH", idx)
			}
			must(t, a.Stores.Outbox.Create(ctx, &email))
		}

		// Consent: one record per payload on the customer, each the notice as the app sanitises
		// it; the current text, shown at registration, gets every payload after the rounds.
		for _, i := range idx {
			must(t, a.Stores.Consent.Record(ctx, &models.ConsentRecord{ContactID: ann.ID, Version: 1,
				Notice: app.SanitizeConsent(corpus.val("CT", i)), CheckboxLabel: "I agree", IP: "192.0.2.1", CreatedAt: at}))
		}

		// Knowledge base: a category, an article per payload, and one with the round's bodies.
		cat := models.KBCategory{Slug: fmt.Sprintf("c%d", round), Name: corpus.join("KC", idx), Description: corpus.join("KC", idx)}
		must(t, a.Stores.KB.CreateCategory(ctx, &cat))
		for _, i := range idx {
			must(t, a.Stores.KB.CreateArticle(ctx, &models.KBArticle{CategoryID: cat.ID, Slug: fmt.Sprintf("a%d", i),
				Title: corpus.val("KT", i), Body: corpus.val("KB", i), Status: models.ArticlePublished, PublishedAt: &at}))
		}
		digest := models.KBArticle{CategoryID: cat.ID, Slug: fmt.Sprintf("all%d", round), Title: corpus.val("KT", idx[0]),
			Body: strings.ReplaceAll(corpus.join("KB", idx), "\n", "\n\n"), Status: models.ArticlePublished, PublishedAt: &at}
		must(t, a.Stores.KB.CreateArticle(ctx, &digest))

		// The round's own pages.
		ref := "/tickets/" + tk.Ref()
		for _, path := range []string{"/portal" + ref, "/kb/" + cat.Slug, "/kb/" + cat.Slug + "/" + digest.Slug,
			"/kb/" + cat.Slug + "/" + fmt.Sprintf("a%d", idx[0]), "/kb/search?q=" + corpus.token("KT", idx[0])} {
			visits = append(visits, visit{"customer", "customer", path})
		}
		visits = append(visits, visit{"agent", "agent", "/desk" + ref}, visit{"admin", "admin", "/desk" + ref},
			visit{"agent", "agent", "/kb/" + cat.Slug}, visit{"agent", "agent", "/kb/" + cat.Slug + "/" + digest.Slug},
			visit{"admin", "admin", fmt.Sprintf("/admin/outbox/%d", email.ID)},
			visit{"admin", "admin", fmt.Sprintf("/admin/kb/articles/%d", digest.ID)})
	}
	if _, _, err := a.PublishConsent(ctx, corpus.join("CT", all), "I agree", adminUser.ID); err != nil {
		t.Fatalf("PublishConsent: %v", err)
	}
	// The customer's and her company's names end with every payload, for the pages that show
	// them (the e-mails the replies queued were made with the round's names).
	db.Gorm.Model(&models.Contact{}).Where("id = ?", ann.ID).Update("name", corpus.join("CN", all))
	db.Gorm.Model(&models.Company{}).Where("id = ?", acme.ID).Update("name", corpus.join("CO", all))

	time.Sleep(time.Until(settingsSaved.Add(2100 * time.Millisecond))) // the settings cache
	first := newBrowser(t, srv.url, chromedp.Flag("host-resolver-rules", "MAP xss.test "+ln.Addr().String()))
	tabs := map[string]*tab{"customer": r.role(first, "customer", customer.cookies), "agent": r.role(first, "agent", agentB.cookies),
		"admin": r.role(first, "admin", adminB.cookies), "visitor": r.role(first, "visitor", nil)}
	for _, v := range visits {
		r.visit(tabs[v.tab], v.role, v.path)
	}
	// Pages that show every payload at once, or list them over several pages.
	for _, path := range []string{"/portal", "/portal/new", "/kb"} {
		r.visitAll(tabs["customer"], "customer", path)
	}
	for _, path := range []string{"/portal/register", "/portal/login", "/kb"} {
		r.visit(tabs["visitor"], "customer", path)
	}
	r.visitAll(tabs["agent"], "agent", "/desk")
	r.visit(tabs["agent"], "agent", "/desk/notifications")
	for _, path := range []string{"/desk", "/portal", "/portal/new", "/kb", "/admin/outbox", "/admin/kb", "/admin/portal", "/admin/portal/branding", "/admin/portal/form",
		"/admin/portal/tickets", "/admin/portal/consent", fmt.Sprintf("/admin/contacts/%d", ann.ID),
		fmt.Sprintf("/admin/companies/%d", acme.ID), "/admin/contacts", "/admin/companies"} {
		r.visitAll(tabs["admin"], "admin", path)
	}
	time.Sleep(200 * time.Millisecond) // late events: a swap, a dialog, a beacon

	// Verdict.
	var executions []string
	r.mu.Lock()
	executions = append(executions, r.dialogs...)
	bad := append([]string(nil), r.bad...)
	r.mu.Unlock()
	for _, e := range first.log.all() {
		if strings.Contains(e.text, "XSSMARK") || xssTokenRe.MatchString(e.text) {
			executions = append(executions, "console: "+e.String())
		}
	}
	first.log.mu.Lock()
	for _, req := range first.log.requests {
		if r.opened[req.url] {
			continue // a page the test opened, whose address carries a token (a search, a cursor)
		}
		if u, err := url.Parse(req.url); err == nil && (u.Hostname() == "xss.test" || xssTokenRe.MatchString(req.url)) {
			executions = append(executions, "request: "+req.tab+" "+req.method+" "+req.url)
		}
	}
	first.log.mu.Unlock()
	hitsMu.Lock()
	for _, h := range hits {
		executions = append(executions, "marker host reached: "+h)
	}
	hitsMu.Unlock()

	// What was rendered: payloads × fields × roles.
	type cell struct{ seeded, customer, agent, admin int }
	cells := map[string]*cell{}
	for f := range xssFields {
		cells[f] = &cell{}
	}
	for tok := range corpus.seeded {
		cells[tok[2:4]].seeded++
	}
	triples := 0
	for role, toks := range r.rendered {
		for tok := range toks {
			if !corpus.seeded[tok] {
				continue
			}
			c := cells[tok[2:4]]
			switch role {
			case "customer":
				c.customer++
			case "agent":
				c.agent++
			case "admin":
				c.admin++
			}
			triples++
		}
	}
	codes := make([]string, 0, len(cells))
	for f := range cells {
		codes = append(codes, f)
	}
	sort.Strings(codes)
	var report strings.Builder
	fmt.Fprintf(&report, "XSS-01: %d payloads, %d fields, %d pages opened in %s (%d user-content regions checked)\n",
		len(corpus.payloads), len(xssFields), r.pages, time.Since(start).Round(time.Second), r.sinks)
	fmt.Fprintf(&report, "  %-2s %-45s %7s %9s %6s %6s\n", "", "field", "seeded", "customer", "agent", "admin")
	for _, f := range codes {
		c := cells[f]
		fmt.Fprintf(&report, "  %-2s %-45s %7d %9d %6d %6d\n", f, xssFields[f], c.seeded, c.customer, c.agent, c.admin)
	}
	fmt.Fprintf(&report, "  payload × field × role renderings: %d; executions: %d; injected elements or attributes: %d",
		triples, len(executions), len(bad))
	t.Log(report.String())
	for _, e := range executions {
		t.Errorf("execution: %s", e)
	}
	for i, b := range bad {
		if i == 40 {
			t.Errorf("… and %d more", len(bad)-40)
			break
		}
		t.Errorf("injected: %s", b)
	}
	for f, c := range cells {
		if c.customer+c.agent+c.admin == 0 && !xssNotShown[f] {
			t.Errorf("field %s (%s): no page rendered any of its %d payloads", f, xssFields[f], c.seeded)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestE2EXSSCheckCatchesInjection checks the checks: a page with planted injections must show
// up as a dialog and as injected elements, or the corpus test's zeros would prove nothing.
func TestE2EXSSCheckCatchesInjection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>planted</title>`+
			`<div class="kb-body">xqKB001z <img src=x onerror="alert('xqKB001z')"></div>`+
			`<div hx-disable><p hx-get="/kb">xqCM002z</p></div>`+
			`<a href="javascript:alert('xqSB003z')">x</a><script>console.log('XSSMARK')</script>`)
	}))
	t.Cleanup(srv.Close)
	first := newBrowser(t, srv.URL)
	r := &xssRun{t: t, srv: &liveServer{url: srv.URL}, rendered: map[string]map[string]bool{}, opened: map[string]bool{}}
	tb := r.role(first, "probe", nil)
	r.visit(tb, "customer", "/")
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		n := len(r.dialogs)
		r.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	want := []string{"event handler onerror", "htmx attribute hx-get inside an hx-disable region", "script address in href",
		"element without the page nonce", "user-content region outside hx-disable"}
	joined := strings.Join(r.bad, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("not caught: %s; found:\n%s", w, joined)
		}
	}
	if len(r.dialogs) == 0 {
		t.Error("the planted alert raised no dialog (was the CSP bypassed?)")
	}
	if !r.rendered["customer"]["xqKB001z"] || !r.rendered["customer"]["xqCM002z"] {
		t.Errorf("tokens not found: %v", r.rendered)
	}
}
