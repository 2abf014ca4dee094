package handlers

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

// supportEmptyViewModel gives the support form templates their view models for the
// render-every-template test.
func supportEmptyViewModel(name string, b Base) (any, bool) {
	switch name {
	case "pages/portal/new_ticket", "partials/portal/new_ticket_form":
		b.Portal, b.Brand = &PortalView{}, &BrandingView{}
		return supportFormPage{Base: b, Multipart: true, CategoryShown: true, PriorityShown: true,
			Categories: []choiceView{{Value: "a", Label: "a"}}, Priorities: []choiceView{{Value: "low", Label: "Low"}},
			Custom: []customFieldView{{Name: "custom_a", ID: "c0", Label: "A", Required: true},
				{Name: "custom_b", ID: "c1", Label: "B", Textarea: true},
				{Name: "custom_c", ID: "c2", Label: "C", Dropdown: true, Choices: []choiceView{{Value: "x", Label: "x"}}, Error: "e"}},
			Errors: map[string]string{}}, true
	case "pages/admin/portal_form":
		return supportFormAdminPage{portalAdmin: portalAdmin{Base: b, Tab: "form"},
			Pipelines: []choiceView{{Value: "0", Label: "p"}}, Inboxes: []choiceView{{Value: "0", Label: "i"}},
			Rows: []customFieldRow{{Index: 0, Number: 1, Types: []choiceView{{Value: "text", Label: "t"}}, Error: "e"}}}, true
	}
	return nil, false
}

// supportMultipart posts a multipart form with the CSRF token of page, keeping cookies.
// fileSize bytes of zeros (streamed, not built from a slice) are attached as "attachments"
// when fileSize >= 0.
func (b *browser) supportMultipart(page, target string, fields url.Values, fileName string, fileSize int64) *http.Response {
	b.s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField(CSRFField, b.csrf(page))
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if fileSize >= 0 {
		part, err := w.CreateFormFile("attachments", fileName)
		if err != nil {
			b.s.t.Fatal(err)
		}
		io.Copy(part, io.LimitReader(zeroReader{}, fileSize))
	}
	w.Close()
	req := httptest.NewRequest("POST", target, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.send(req)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// supportTicketOf returns the ticket a successful submission redirected to.
func supportTicketOf(t *testing.T, w *ticketWorld, resp *http.Response) models.Ticket {
	t.Helper()
	wantStatus(t, resp, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	ref, ok := strings.CutPrefix(loc, "/portal/tickets/")
	if !ok {
		t.Fatalf("redirected to %q, want a ticket page", loc)
	}
	n, err := models.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := w.s.app.Stores.Tickets.ByNumber(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (w *ticketWorld) supportForm(t *testing.T) {
	t.Helper()
	w.setPortal(t, func(p *models.PortalSettings) {
		p.SupportForm = models.SupportFormSettings{Category: models.FieldOptional, CategoryChoices: []string{"Billing", "Hardware"},
			ShowPriority: true, Fields: []models.CustomField{{Key: "equipment", Label: "Equipment", Type: models.CustomText, Required: true}}}
	})
}

func TestSupportFormSubmit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		w := newTicketWorld(t, db)
		w.supportForm(t)
		ctx := context.Background()

		body := readBody(t, w.ann.get("/portal/new"))
		for _, want := range []string{"Submit a support ticket", `hx-get="/kb/suggest"`, `hx-trigger="input changed delay:300ms"`,
			`hx-target="#kb-suggestions"`, `<div id="kb-suggestions"`, `name="custom_equipment"`, `enctype="multipart/form-data"`,
			`<label for="new-ticket-subject">`, `name="priority"`, `value="Hardware"`} {
			if !strings.Contains(body, want) {
				t.Errorf("form lacks %s", want)
			}
		}

		// Mass assignment: fields the form does not have are ignored, whatever they say.
		gil, _ := w.s.app.Stores.Contacts.ByEmail(ctx, "gil@globex.example")
		closed := w.pipe.Stages[2].ID
		form := url.Values{"subject": {"Router blinks"}, "description": {"All lights red."}, "category": {"Hardware"},
			"priority": {"urgent"}, "custom_equipment": {"RT-9"},
			"contact_id": {strconv.FormatInt(gil.ID, 10)}, "company_id": {strconv.FormatInt(w.globex.ID, 10)},
			"owner_id": {"1"}, "stage_id": {strconv.FormatInt(closed, 10)}, "is_internal": {"true"}, "is_closed": {"true"},
			"_csrf": {w.ann.csrf("/portal/new")}}
		tk := supportTicketOf(t, w, w.ann.do("POST", "/portal/new", form))
		switch {
		case tk.ContactID == nil || *tk.ContactID != w.annC.ID || tk.CompanyID == nil || *tk.CompanyID != w.acme.ID:
			t.Errorf("contact/company = %v/%v", tk.ContactID, tk.CompanyID)
		case tk.OwnerID != nil || tk.StageID != w.pipe.Stages[0].ID || tk.IsClosed:
			t.Errorf("owner/stage/closed = %v/%d/%v", tk.OwnerID, tk.StageID, tk.IsClosed)
		case tk.Priority != models.PriorityUrgent || tk.Category != "Hardware" || tk.Properties["equipment"] != "RT-9":
			t.Errorf("priority/category/props = %s/%s/%v", tk.Priority, tk.Category, tk.Properties)
		}
		th, _ := w.s.app.Stores.Tickets.LatestThread(ctx, tk.ID)
		msgs, _ := w.s.app.Stores.Tickets.Messages(ctx, th.ID, true)
		if len(msgs) != 1 || msgs[0].IsInternal || msgs[0].Body != "All lights red." {
			t.Errorf("messages = %+v", msgs)
		}

		page := "/portal/tickets/" + tk.Ref()
		detail := readBody(t, w.ann.get(page))
		if !strings.Contains(detail, "Router blinks") || !strings.Contains(detail, "All lights red.") {
			t.Errorf("detail page lacks the new ticket:\n%s", detail)
		}
		wantStatus(t, w.gil.get(page), http.StatusNotFound)

		// htmx: success is an HX-Redirect.
		form.Set("_csrf", w.ann.csrf("/portal/new"))
		resp := w.ann.do("POST", "/portal/new", form, "HX-Request", "true")
		if resp.StatusCode != http.StatusNoContent || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/portal/tickets/T-") {
			t.Errorf("htmx submit: %d %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
		}
	})
}

func TestSupportFormFieldErrors(t *testing.T) {
	w := newTicketWorld(t, dbtest.SQLite(t))
	w.supportForm(t)
	ctx := context.Background()
	form := url.Values{"subject": {""}, "description": {"Kept <text>"}, "category": {"Gossip"}, "custom_equipment": {""},
		"_csrf": {w.ann.csrf("/portal/new")}}
	resp := w.ann.do("POST", "/portal/new", form)
	wantStatus(t, resp, http.StatusOK)
	body := readBody(t, resp)
	for _, want := range []string{`id="new-ticket-subject-error"`, `id="new-ticket-category-error"`, `id="support-custom-0-error"`,
		"This field is required.", "Kept &lt;text&gt;", `aria-invalid="true"`, "<html"} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %s", want)
		}
	}
	// The same as a fragment for htmx.
	form.Set("_csrf", w.ann.csrf("/portal/new"))
	resp = w.ann.do("POST", "/portal/new", form, "HX-Request", "true")
	wantStatus(t, resp, http.StatusOK)
	if frag := readBody(t, resp); strings.Contains(frag, "<html") || !strings.Contains(frag, `id="new-ticket-form"`) {
		t.Errorf("htmx error answer is not the form fragment:\n%s", frag)
	}
	if n, _ := w.s.app.Stores.Tickets.Count(ctx); n != 0 {
		t.Errorf("%d tickets after refused submissions", n)
	}
}

func TestSupportFormAttachments(t *testing.T) {
	w := newTicketWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	fields := url.Values{"subject": {"Logs attached"}, "description": {"See the file."}}

	// One byte over the limit: refused with 413 and the form again (FILE-01), nothing stored.
	resp := w.ann.supportMultipart("/portal/new", "/portal/new", fields, "huge.log", app.MaxTicketFileBytes+1)
	wantStatus(t, resp, http.StatusRequestEntityTooLarge)
	if body := readBody(t, resp); !strings.Contains(body, `id="new-ticket-attachments-error"`) {
		t.Errorf("no attachment error:\n%s", body)
	}
	var n int64
	w.s.app.Stores.DB.Gorm.Raw("SELECT COUNT(*) FROM attachments").Scan(&n)
	if c, _ := w.s.app.Stores.Tickets.Count(ctx); c != 0 || n != 0 {
		t.Fatalf("tickets %d, attachments %d after a refused file", c, n)
	}

	// A small file goes with the first message and can be downloaded by the customer.
	tk := supportTicketOf(t, w, w.ann.supportMultipart("/portal/new", "/portal/new", fields, "small.log", 1000))
	th, _ := w.s.app.Stores.Tickets.LatestThread(ctx, tk.ID)
	msgs, _ := w.s.app.Stores.Tickets.Messages(ctx, th.ID, false)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Size != 1000 {
		t.Fatalf("messages = %+v", msgs)
	}
	wantStatus(t, w.ann.get("/portal/attachments/"+msgs[0].Attachments[0].PublicID), http.StatusOK)
	wantStatus(t, w.gil.get("/portal/attachments/"+msgs[0].Attachments[0].PublicID), http.StatusNotFound)

	// Attachments switched off: the form posts urlencoded and has no file input.
	w.setPortal(t, func(p *models.PortalSettings) { p.SupportForm.DisableAttachments = true })
	body := readBody(t, w.ann.get("/portal/new"))
	if strings.Contains(body, "multipart/form-data") || strings.Contains(body, `type="file"`) {
		t.Error("file input offered although attachments are off")
	}
}

func TestSupportFormAccess(t *testing.T) {
	s := newSQLiteServer(t)
	agent, pw := s.staff(models.RoleAgent, "agent@example.com")
	b := s.browser()
	wantStatus(t, b.login(agent.Email, pw), http.StatusSeeOther)
	resp := b.get("/portal/new")
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/portal/login") {
		t.Errorf("agent sent to %q, want the portal sign-in", loc)
	}
	resp = s.browser().get("/portal/new")
	wantStatus(t, resp, http.StatusSeeOther)

	// An admin previews the form, disabled, and cannot submit it.
	admin, pw := s.staff(models.RoleAdmin, "admin@example.com")
	a := s.browser()
	wantStatus(t, a.login(admin.Email, pw), http.StatusSeeOther)
	body := readBody(t, a.get("/portal/new"))
	if !strings.Contains(body, "<fieldset class=\"stack\" disabled>") || !strings.Contains(body, "previewing the form") {
		t.Errorf("admin preview is not disabled:\n%s", body)
	}
	resp = a.do("POST", "/portal/new", url.Values{"subject": {"x"}, "description": {"y"}, "_csrf": {a.csrf("/portal/new")}})
	wantStatus(t, resp, http.StatusOK)
	if body := readBody(t, resp); !strings.Contains(body, `id="new-ticket-form-error"`) {
		t.Errorf("admin submission not refused with a message:\n%s", body)
	}
	if n, _ := s.app.Stores.Tickets.Count(context.Background()); n != 0 {
		t.Errorf("%d tickets after an admin's submission", n)
	}
}

func TestSupportFormSettingsPage(t *testing.T) {
	s := newSQLiteServer(t)
	ctx := context.Background()
	pipe := models.Pipeline{Name: "Hardware", Stages: []models.PipelineStage{{Name: "New", Position: 1}}}
	if err := s.app.Stores.Pipelines.Create(ctx, &pipe); err != nil {
		t.Fatal(err)
	}
	admin, pw := s.staff(models.RoleAdmin, "admin@example.com")
	a := s.browser()
	wantStatus(t, a.login(admin.Email, pw), http.StatusSeeOther)
	body := readBody(t, a.get("/admin/portal/form"))
	if n := strings.Count(body, `name="field_key"`); n != supportFieldEmptyRows {
		t.Errorf("%d custom field rows, want %d empty ones", n, supportFieldEmptyRows)
	}
	if !strings.Contains(body, `value="`+strconv.FormatInt(pipe.ID, 10)+`"`) {
		t.Error("pipeline not offered")
	}

	post := func(f url.Values) *http.Response {
		f.Set("_csrf", a.csrf("/admin/portal/form"))
		return a.do("POST", "/admin/portal/form", f)
	}
	valid := url.Values{"pipeline_id": {strconv.FormatInt(pipe.ID, 10)}, "inbox_id": {"0"}, "description": {"optional"},
		"category": {"required"}, "category_choices": {"Billing\r\n\r\n Hardware \r\n"}, "show_priority": {"true"},
		"field_key": {"", "site", ""}, "field_label": {"Serial number", "Site", ""}, "field_type": {"text", "dropdown", "text"},
		"field_choices": {"", "North\nSouth", ""}, "field_required": {"0"}, "contact_id": {"5"}}
	resp := post(valid)
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/admin/portal/form" {
		t.Errorf("redirected to %q", loc)
	}
	p, _ := s.app.Portal(ctx)
	f := p.SupportForm
	switch {
	case f.PipelineID != pipe.ID || f.Description != models.FieldOptional || f.Category != models.FieldRequired:
		t.Errorf("saved %+v", f)
	case strings.Join(f.CategoryChoices, "|") != "Billing|Hardware" || !f.ShowPriority || f.AttachmentsAllowed():
		t.Errorf("saved %+v", f)
	case len(f.Fields) != 2 || f.Fields[0].Key != "serial_number" || !f.Fields[0].Required || f.Fields[1].Required ||
		strings.Join(f.Fields[1].Choices, "|") != "North|South":
		t.Errorf("saved fields %+v", f.Fields)
	}
	if n := strings.Count(readBody(t, a.get("/admin/portal/form")), `name="field_key"`); n != 2+supportFieldEmptyRows {
		t.Errorf("%d rows after saving two fields", n)
	}

	for name, edit := range map[string]func(url.Values){
		"category without choices": func(v url.Values) { v.Set("category_choices", "") },
		"bad key":                  func(v url.Values) { v["field_key"] = []string{"Bad Key!", "site", ""} },
		"dropdown without choices": func(v url.Values) { v["field_choices"] = []string{"", "", ""} },
		"unknown pipeline":         func(v url.Values) { v.Set("pipeline_id", "999") },
	} {
		f := url.Values{}
		for k, vs := range valid {
			f[k] = append([]string(nil), vs...)
		}
		edit(f)
		resp := post(f)
		wantStatus(t, resp, http.StatusOK)
		if body := readBody(t, resp); !strings.Contains(body, `class="field-error"`) {
			t.Errorf("%s: no field error shown", name)
		}
	}
	if p2, _ := s.app.Portal(ctx); len(p2.SupportForm.Fields) != 2 || p2.SupportForm.PipelineID != pipe.ID {
		t.Errorf("a refused save changed the settings: %+v", p2.SupportForm)
	}
}

// TestSupportFormTemplatesRender renders the support form templates with their view models in
// both languages, until the render-every-template test calls supportEmptyViewModel itself.
func TestSupportFormTemplatesRender(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	keyLeft := regexp.MustCompile(`>\s*(?:[a-z_]+\.)+[a-z_0-9]+\s*<`)
	for _, name := range []string{"pages/portal/new_ticket", "partials/portal/new_ticket_form", "pages/admin/portal_form"} {
		for _, lang := range []string{"en", "pt-BR"} {
			vm, ok := supportEmptyViewModel(name, Base{Lang: lang, Viewer: &Viewer{}, tr: s.h.tr})
			if !ok {
				t.Fatalf("%s: no view model", name)
			}
			var buf bytes.Buffer
			if err := engine.Render(&buf, name, vm); err != nil {
				t.Fatalf("%s (%s): %v", name, lang, err)
			}
			out := buf.String()
			if strings.Contains(out, "<no value>") || keyLeft.MatchString(out) {
				t.Errorf("%s (%s): unfilled or untranslated output:\n%s", name, lang, out)
			}
		}
	}
}
