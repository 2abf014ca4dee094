package handlers

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"portico/app"
	"portico/app/i18n"
	"portico/models"
)

// adminContactEmptyViewModel gives TestEveryTemplateRenders the view models of the admin pages
// of contacts, companies and contact lists.
func adminContactEmptyViewModel(name string, b Base) (any, bool) {
	switch name {
	case "pages/admin/contacts", "partials/admin/contact_table":
		return contactsPage{Base: b}, true
	case "pages/admin/contact_new", "partials/admin/contact_form":
		return contactNewPage{Base: b}, true
	case "pages/admin/contact":
		return contactPage{Base: b}, true
	case "pages/admin/companies", "partials/admin/company_table", "partials/admin/list_pager":
		return companiesPage{Base: b}, true
	case "pages/admin/company", "partials/admin/kv_rows":
		return companyPage{Base: b}, true
	case "partials/admin/company_options":
		return companyOptionsView{Base: b}, true
	case "pages/admin/lists":
		return listsPage{Base: b}, true
	case "pages/admin/list":
		return listPage{Base: b}, true
	case "pages/admin/import":
		return importPage{Base: b}, true
	case "pages/admin/import_preview":
		return importPreviewPage{Base: b}, true
	}
	return nil, false
}

// TestAdminContactTemplatesWithContent renders every page of this area with rows, errors and
// pagers in both languages: nothing unfilled, no message ID left untranslated.
func TestAdminContactTemplatesWithContent(t *testing.T) {
	t.Parallel()
	s := newSQLiteServer(t)
	engine := s.fiber.Config().Views
	admin := &Viewer{Kind: models.KindStaff, Staff: &models.StaffUser{ID: 1, Name: "Ada", Role: models.RoleAdmin, Active: true}}
	coID := int64(7)
	rows := []models.ContactRow{{ID: 1, Email: "a@example.com", Name: "A", CompanyID: &coID, CompanyName: "ACME", Active: true},
		{ID: 2, Email: "b@example.com", Active: false}}
	pg := adminPager{Prev: "/admin/contacts?before=a", Next: "/admin/contacts?after=b"}
	for _, lang := range []string{"en", "pt-BR"} {
		b := Base{Lang: lang, Viewer: admin, tr: s.h.tr}
		errs := map[string]string{"form": "e", "email": "e", "name": "e", "phone": "e", "company": "e", "language": "e",
			"properties": "e", "domain": "e", "kind": "e", "rule": "e", "members": "e", "file": "e"}
		form := contactFormView{Action: "/admin/contacts/1", Form: contactForm{Email: "a@example.com", Active: "yes"},
			Props: kvEditorRows([]app.PropRow{{Key: "plan", Value: "gold"}}), Languages: contactLanguages("pt-BR"),
			Companies: []models.CompanyRow{{ID: 7, Name: "ACME"}}, Errors: errs}
		lf := listForm{Name: "VIP", Kind: "active", Field: []string{"property"}, Key: []string{"plan"}, Op: []string{"any_of"}, Value: []string{"a, b"}}
		pages := map[string]any{
			"pages/admin/contacts":    contactsPage{Base: b, Query: "a", Company: "ACME", Rows: rows, Pager: pg},
			"pages/admin/contact_new": contactNewPage{Base: b, contactFormView: form},
			"pages/admin/contact": contactPage{Base: b, contactFormView: form, Contact: models.Contact{ID: 1, Email: "a@example.com", Active: true},
				Lists:   []models.ListSummary{{ID: 1, Name: "VIP", Kind: models.ListActive}, {ID: 2, Name: "S", Kind: models.ListStatic}},
				Tickets: []models.ContactTicket{{Number: 1001, Subject: "Help", LastActivityAt: time.Unix(0, 0)}, {Number: 1002, IsClosed: true}}},
			"pages/admin/companies": companiesPage{Base: b, Rows: []models.CompanyRow{{ID: 1, Name: "ACME", Domain: "acme.test", Contacts: 3}}, Pager: pg},
			"pages/admin/company": companyPage{Base: b, ID: 1, Action: "/admin/companies/1", Form: companyForm{Name: "ACME"},
				Props: kvEditorRows(nil), Errors: errs, Contacts: rows, Pager: pg},
			"pages/admin/lists": listsPage{Base: b, Lists: []models.ListSummary{{ID: 1, Name: "VIP", Kind: models.ListActive, Members: 2}}},
			"pages/admin/list": listPage{Base: b, ID: 1, Action: "/admin/lists/1", Form: lf, IsActive: true,
				Conditions: conditionRows(b, lf), Errors: errs, Members: rows, Pager: pg},
			"pages/admin/import": importPage{Base: b, Errors: errs, Result: &app.ImportResult{Created: 2, Failed: 1}, MaxBytes: 5},
			"pages/admin/import_preview": importPreviewPage{Base: b, Key: strings.Repeat("a", 32), Filename: "x.csv", Rows: 3, Create: 1, Fails: 1,
				Columns:      []importColumnView{{Header: "email", Target: "E-mail"}, {Header: "", Target: "ignored", Ignored: true}},
				Samples:      []importSample{{Line: 2, Email: "a@example.com", Action: "create"}, {Line: 3, Bad: true, Action: "error"}},
				Issues:       []importIssueView{{Line: 3, Column: "email", Reason: "bad", Value: "x"}},
				MoreIssues:   2,
				NewCompanies: []string{"Initech"}},
		}
		staticList := listPage{Base: b, ID: 2, Action: "/admin/lists/2", Form: listForm{Name: "S", Kind: "static"},
			Members: rows, Searched: true, Find: "a", Found: rows}
		for name, vm := range pages {
			for _, v := range []any{vm, staticList} {
				if _, isList := v.(listPage); isList && name != "pages/admin/list" {
					continue
				}
				var buf bytes.Buffer
				if err := engine.Render(&buf, name, v); err != nil {
					t.Fatalf("%s (%s): %v", name, lang, err)
				}
				out := buf.String()
				if strings.Contains(out, "<no value>") {
					t.Fatalf("%s (%s): unfilled output:\n%s", name, lang, out)
				}
				if m := regexp.MustCompile(`(contacts|companies|lists|import)\.[a-z_]+(\.[a-z_]+)*`).FindString(out); m != "" {
					t.Fatalf("%s (%s): untranslated %s in:\n%s", name, lang, m, out)
				}
			}
		}
	}
}

// TestAdminContactDynamicMessageIDs: labels built from values (rule fields and operators,
// import targets, actions and reasons) exist in both languages.
func TestAdminContactDynamicMessageIDs(t *testing.T) {
	t.Parallel()
	tr, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range models.RuleFields() {
		ids = append(ids, "lists.rulefield."+f)
	}
	for _, o := range models.RuleOps() {
		ids = append(ids, "lists.ruleop."+o)
	}
	for _, a := range []app.ImportAction{app.ImportCreate, app.ImportUpdate, app.ImportSkip, app.ImportError} {
		ids = append(ids, "import.action."+string(a))
	}
	for _, c := range []string{app.ColEmail, app.ColName, app.ColPhone, app.ColCompany, app.ColLanguage, app.ColProperty} {
		ids = append(ids, "import.target."+c)
	}
	src, err := os.ReadFile("../app/contacts_import.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := regexp.MustCompile(`"(contacts\.import\.[a-z_]+\.[a-z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(codes) < 10 {
		t.Fatalf("found only %d import message IDs; is the pattern stale?", len(codes))
	}
	for _, m := range codes {
		ids = append(ids, m[1])
	}
	for _, id := range ids {
		for _, lang := range []string{"en", "pt-BR"} {
			if !tr.Has(lang, id) {
				t.Errorf("%s lacks %s", lang, id)
			}
		}
	}
}
