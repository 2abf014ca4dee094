package handlers

// STYLE 21(d): every template renders with an empty view model; every message ID a template
// or handler names exists; error pages are translated.

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"portico/app/i18n"
	"portico/models"
	"portico/views"
)

// templateNames lists every template under views/ by its engine name (path without .html).
func templateNames(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(views.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		names = append(names, strings.TrimSuffix(p, ".html"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no templates found")
	}
	sort.Strings(names)
	return names
}

// emptyViewModel is the view model a template is rendered with by its handler, left empty but
// for b. Templates not listed get a bare Base.
func emptyViewModel(name string, b Base) any {
	if vm, ok := portalEmptyViewModel(name, b); ok {
		return vm
	}
	if vm, ok := ssoEmptyViewModel(name, b); ok {
		return vm
	}
	if vm, ok := kbEmptyViewModel(name, b); ok {
		return vm
	}
	if vm, ok := supportEmptyViewModel(name, b); ok {
		return vm
	}
	if vm, ok := ticketAdminEmptyViewModel(name, b); ok {
		return vm
	}
	for _, f := range []func(string, Base) (any, bool){adminModelEmptyViewModel, adminContactEmptyViewModel, deskEmptyViewModel, staffAuthEmptyViewModel} {
		if vm, ok := f(name, b); ok {
			return vm
		}
	}
	switch name {
	case "pages/auth/login", "partials/auth/login_form":
		return loginPage{Base: b}
	case "pages/admin/home":
		return adminHomePage{Base: b}
	case "pages/errors/error":
		return errorPage{Base: b}
	case "pages/portal/home", "partials/portal/ticket_list", "partials/portal/ticket_rows":
		b.Portal, b.Brand = &PortalView{}, &BrandingView{}
		return portalTicketsPage{Base: b, Rows: []ticketRowView{{Ref: "T-1", Subject: "s", Status: "Open"}}}
	case "pages/portal/ticket", "partials/portal/thread", "partials/portal/messages":
		b.Portal, b.Brand = &PortalView{}, &BrandingView{}
		return portalTicketPage{Base: b, Messages: []messageView{{Author: "a", Body: "b", Files: []fileView{{Name: "f"}}}},
			Errors: map[string]string{}}
	case "pages/admin/outbox":
		return outboxPage{Base: b}
	case "pages/admin/outbox_email":
		return outboxEmailPage{Base: b}
	case "pages/portal/login", "partials/portal/login_form", "pages/portal/register", "partials/portal/register_form",
		"pages/portal/message", "partials/portal/message", "pages/portal/verify", "pages/portal/set_password", "pages/portal/forgot":
		// Portal pages always carry the portal's view (base sets it for the "portal" area).
		b.Portal, b.Brand = &PortalView{}, &BrandingView{}
		return portalAuthPage{Base: b, Errors: map[string]string{}}
	}
	return b
}

func TestEveryTemplateRenders(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	if engine == nil {
		t.Fatal("no template engine")
	}
	admin := &models.StaffUser{ID: 1, Name: "Ada", Role: models.RoleAdmin, Active: true}
	agent := &models.StaffUser{ID: 2, Name: "Bob", Role: models.RoleAgent, Active: true}
	viewers := []struct {
		name string
		v    *Viewer
	}{
		{"anonymous", &Viewer{}},
		{"agent", &Viewer{Kind: models.KindStaff, Staff: agent}},
		{"admin", &Viewer{Kind: models.KindStaff, Staff: admin}},
	}
	keyLeft := regexp.MustCompile(`>\s*(?:[a-z_]+\.)+[a-z_0-9]+\s*<`) // a message ID shown as text
	rendered := 0
	for _, name := range templateNames(t) {
		for _, lang := range []string{"en", "pt-BR"} {
			for _, v := range viewers {
				for _, flash := range []*Flash{nil, {Kind: "error", Message: "m"}} {
					b := Base{Lang: lang, Viewer: v.v, Flash: flash, tr: s.h.tr}
					var buf bytes.Buffer
					if err := engine.Render(&buf, name, emptyViewModel(name, b)); err != nil {
						t.Errorf("%s (%s, %s): %v", name, lang, v.name, err)
						continue
					}
					rendered++
					out := buf.String()
					if strings.Contains(out, "<no value>") || strings.Contains(out, "{{") {
						t.Errorf("%s (%s, %s): unfilled template output:\n%s", name, lang, v.name, out)
					}
					if m := keyLeft.FindString(out); m != "" {
						t.Errorf("%s (%s, %s): untranslated message ID in the output: %s", name, lang, v.name, m)
					}
				}
			}
		}
	}
	// The desk table with rows: every channel and priority has a label.
	var tickets []deskRowView
	for i, ch := range models.Channels {
		tickets = append(tickets, deskRowView{Ref: models.FormatRef(int64(1000 + i)), Subject: "s", Channel: ch,
			Priority: models.Priorities[i%len(models.Priorities)], Status: "New", LastActivity: timeStamp(time.Unix(0, 0))})
	}
	for _, lang := range []string{"en", "pt-BR"} {
		var buf bytes.Buffer
		vm := deskQueuePage{Base: Base{Lang: lang, Viewer: viewers[1].v, tr: s.h.tr}, Rows: tickets,
			Channels: models.Channels, Priorities: models.Priorities}
		if err := engine.Render(&buf, "pages/desk/queue", vm); err != nil {
			t.Fatalf("desk with tickets (%s): %v", lang, err)
		}
		if m := regexp.MustCompile(`(channel|priority|status)\.[a-z]+`).FindString(buf.String()); m != "" {
			t.Errorf("desk with tickets (%s): untranslated %s", lang, m)
		}
	}
	t.Logf("template renders: %d", rendered)
}

func TestMessageIDsExist(t *testing.T) {
	t.Parallel()
	en, err := i18n.IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range en {
		have[id] = true
	}

	// IDs named literally in templates: {{.T "id"}} and {{$.T "id"}}.
	tmplKey := regexp.MustCompile(`\.T\s+"([^"]+)"`)
	used := map[string][]string{} // id → where
	err = fs.WalkDir(views.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		src, err := fs.ReadFile(views.FS, p)
		if err != nil {
			return err
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = append(used[m[1]], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fromTemplates := len(used)
	if fromTemplates < 10 {
		t.Fatalf("found only %d message IDs in the templates; is the pattern stale?", fromTemplates)
	}

	// IDs named literally in Go code: titles, flashes, form errors and validation codes.
	goKey := []*regexp.Regexp{
		regexp.MustCompile(`\.base\(c, "([^"]+)"`),
		regexp.MustCompile(`setFlash\(c, "[a-z]+", "([^"]+)"\)`),
		regexp.MustCompile(`Errors\["[a-z_]+"\] = "([^"]+)"`),
		regexp.MustCompile(`\.tr\.T\([^,()]+, "([^"]+)"\)`),
		regexp.MustCompile(`Invalid\("[^"]*", "([^"]+)"\)`),
	}
	for _, dir := range []string{".", "../app", "../models"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range goKey {
				for _, m := range re.FindAllStringSubmatch(string(src), -1) {
					used[m[1]] = append(used[m[1]], f)
				}
			}
		}
	}

	// Labels built with printf in templates, and what the error handler can produce.
	for _, ch := range models.Channels {
		used["channel."+string(ch)] = append(used["channel."+string(ch)], "models.Channels")
	}
	for _, p := range models.Priorities {
		used["priority."+string(p)] = append(used["priority."+string(p)], "models.Priorities")
	}
	for _, status := range []int{400, 403, 404, 405, 409, 413, 429, 500, 503} {
		for _, id := range []string{"error.heading." + strconv.Itoa(status), "error." + strconv.Itoa(status)} {
			used[id] = append(used[id], "errors.go")
		}
	}
	for _, id := range []string{"error.heading.other", "error.other", "error.csrf", "error.title"} {
		used[id] = append(used[id], "errors.go")
	}

	var missing []string
	for id, where := range used {
		if !have[id] {
			missing = append(missing, id+" (used in "+strings.Join(where, ", ")+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("message IDs missing from app/i18n/en.json:\n  %s", strings.Join(missing, "\n  "))
	}
	t.Logf("message IDs checked: %d (%d from templates)", len(used), fromTemplates)
}

func TestErrorPagesAreTranslated(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	cases := []struct {
		name, lang, htmlLang, heading, message string
	}{
		{"English", "", "en", "Page not found", "There is nothing here."},
		{"Portuguese", "pt-BR,pt;q=0.9,en;q=0.8", "pt-BR", "Página não encontrada", "Não há nada aqui."},
	}
	for _, tc := range cases {
		t.Run(tc.name+" page", func(t *testing.T) {
			resp := s.browser().get("/no/such/page", "Accept-Language", tc.lang)
			wantStatus(t, resp, http.StatusNotFound)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q", ct)
			}
			body := readBody(t, resp)
			for _, want := range []string{`<html lang="` + tc.htmlLang + `"`, "<h1>" + tc.heading + "</h1>", tc.message} {
				if !strings.Contains(body, want) {
					t.Errorf("no %q in the error page:\n%s", want, body)
				}
			}
		})
		t.Run(tc.name+" htmx", func(t *testing.T) {
			resp := s.browser().get("/no/such/page", "Accept-Language", tc.lang, "HX-Request", "true")
			wantStatus(t, resp, http.StatusNotFound)
			if got := resp.Header.Get("HX-Retarget"); got != "#flash" {
				t.Errorf("HX-Retarget = %q, want #flash", got)
			}
			body := readBody(t, resp)
			if strings.Contains(body, "<html") || !strings.Contains(body, `class="flash flash-error"`) || !strings.Contains(body, tc.message) {
				t.Errorf("htmx 404 is not the translated flash fragment:\n%s", body)
			}
		})
	}
}
