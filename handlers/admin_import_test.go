package handlers

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

// uploadCSV posts a CSV file to the import form.
func (b *browser) uploadCSV(name, data string, fields url.Values) *http.Response {
	b.s.t.Helper()
	return b.postMultipart("/admin/contacts/import", "/admin/contacts/import", fields,
		[]upload{{field: "file", filename: name, contentType: "text/csv", data: []byte(data)}}, false)
}

var previewRe = regexp.MustCompile(`^/admin/contacts/import/([0-9a-f]{32})`)

func TestAdminContactImport(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s, admin, agent := contactAdminServer(t, db)
		ctx := context.Background()
		old := storeContact(t, s, "old@example.com", "Old Name", models.Props{"plan": "silver"}, "")
		wantStatus(t, admin.get("/admin/contacts/import"), http.StatusOK)

		// File errors show the form again.
		for _, tc := range []struct{ data, msg string }{
			{"name;phone\nAna;1\n", "No column is named email"},
			{"email\n\xff\n", "The file is not UTF-8 text."},
			{"", "The file is empty."},
		} {
			resp := admin.uploadCSV("people.csv", tc.data, nil)
			wantStatus(t, resp, http.StatusOK)
			wantContains(t, readBody(t, resp), tc.msg, `aria-invalid="true"`)
		}
		resp := admin.postMultipart("/admin/contacts/import", "/admin/contacts/import", url.Values{}, nil, false)
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, readBody(t, resp), "Choose a CSV file.")
		// Over 5 MB: the form says so once the route's body limit (uploads.go bodyLimits) lets
		// such a body through; until then the body limit refuses it with a bare 413.
		resp = admin.uploadCSV("big.csv", "email\n"+strings.Repeat("a@example.com\n", 400_000), nil)
		if _, ok := bodyLimits["admin.contacts.import.upload"]; ok {
			wantStatus(t, resp, http.StatusOK)
			wantContains(t, readBody(t, resp), "larger than 5 MB")
		} else {
			wantStatus(t, resp, http.StatusRequestEntityTooLarge)
		}
		if staged, _ := filepath.Glob(filepath.Join(s.cfg.DataDir, "imports", "*")); len(staged) != 0 {
			t.Fatalf("refused uploads were staged: %v", staged)
		}

		// A semicolon file with a BOM, a bad row, a duplicate and a formula in a value.
		data := "\xef\xbb\xbfE-mail;Name;Company;Plan\n" +
			"new@example.com;New Person;Initech;gold\n" +
			"old@example.com;;;gold\n" +
			"\"=HYPERLINK(\"\"http://evil\"\")\";Evil;;\n" +
			"NEW@example.com;Again;;\n"
		resp = admin.uploadCSV("../../people.csv", data, nil)
		wantStatus(t, resp, http.StatusSeeOther)
		m := previewRe.FindStringSubmatch(resp.Header.Get("Location"))
		if m == nil {
			t.Fatalf("upload went to %q", resp.Header.Get("Location"))
		}
		preview := m[0]
		files, _ := filepath.Glob(filepath.Join(s.cfg.DataDir, "imports", m[1]+".*"))
		if len(files) != 2 {
			t.Fatalf("staged files: %v", files)
		}
		body := readBody(t, admin.get(preview))
		wantContains(t, body, "File people.csv: 4 data rows.", "Columns separated by semicolons.",
			`<dd id="import-count-create">1</dd>`, `<dd id="import-count-skip">1</dd>`, `<dd id="import-count-errors">2</dd>`,
			"<td>Plan</td><td>Custom property plan</td>", "<td>Company</td><td>Company (by name)</td>",
			"<li>Initech</li>", "Not a valid e-mail address", "Same e-mail address as line 2",
			`<code>=HYPERLINK(&#34;http://evil&#34;)</code>`, `href="`+preview+`/errors"`)
		body = readBody(t, admin.get(preview+"?update=1"))
		wantContains(t, body, `<dd id="import-count-update">1</dd>`, `<input type="hidden" name="update" value="yes">`)

		// The error report: every issue, formulas neutralised.
		resp = admin.get(preview + "/errors")
		wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("report headers: %q %q", ct, resp.Header.Get("Content-Disposition"))
		}
		report := readBody(t, resp)
		want := "Line,Column,Reason,Value\n4,E-mail,Not a valid e-mail address,\"'=HYPERLINK(\"\"http://evil\"\")\"\n5,E-mail,Same e-mail address as line 2,new@example.com\n"
		if report != want {
			t.Fatalf("report =\n%q\nwant\n%q", report, want)
		}

		// Another admin, another session, or a made-up id finds nothing.
		s.staff(models.RoleAdmin, "eve@example.com")
		eve := s.browser()
		wantStatus(t, eve.login("eve@example.com", staffPassword), http.StatusSeeOther)
		wantStatus(t, eve.get(preview), http.StatusNotFound)
		wantStatus(t, eve.get(preview+"/errors"), http.StatusNotFound)
		again := s.browser()
		wantStatus(t, again.login("ada@example.com", staffPassword), http.StatusSeeOther)
		wantStatus(t, again.get(preview), http.StatusNotFound)
		wantStatus(t, admin.get("/admin/contacts/import/"+strings.Repeat("0", 32)), http.StatusNotFound)
		wantStatus(t, admin.get("/admin/contacts/import/..%2F..%2Fportico.db"), http.StatusNotFound)
		wantNoAccess(t, s, agent, []string{"/admin/contacts/import", preview, preview + "/errors"}, []string{"/admin/contacts/import", preview})

		// CSRF: a confirmation without the token writes nothing.
		wantStatus(t, admin.do("POST", preview, url.Values{"update": {"yes"}}), http.StatusForbidden)
		if _, err := s.app.Stores.Contacts.ByEmail(ctx, "new@example.com"); err == nil {
			t.Fatal("a forged confirmation imported")
		}

		// Confirm with updating: one created, one updated (empty cells keep values), two failed.
		resp, _ = admin.postAdmin(preview, url.Values{"update": {"yes"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/admin/contacts/import?done=1&created=1&updated=1&skipped=0&failed=2&companies=1" {
			t.Fatalf("after confirming: %s", loc)
		}
		body = readBody(t, admin.get(resp.Header.Get("Location")))
		wantContains(t, body, "Import finished", `<dd id="import-created">1</dd>`, `<dd id="import-failed">2</dd>`)
		wantNotContains(t, body, `id="import-invited"`) // not in access-list mode: nobody invited
		wantContains(t, readBody(t, admin.get("/admin/contacts/import?done=1&created=1&invited=1")),
			"Invited to the portal", `<dd id="import-invited">1</dd>`)
		created, err := s.app.Stores.Contacts.ByEmail(ctx, "new@example.com")
		if err != nil || created.Name != "New Person" || created.CompanyID == nil || created.Properties["plan"] != "gold" || !created.Active {
			t.Fatalf("imported contact: %+v, %v", created, err)
		}
		updated, _ := s.app.Stores.Contacts.ByID(ctx, old.ID)
		if updated.Name != "Old Name" || updated.Properties["plan"] != "gold" {
			t.Fatalf("updated contact: %+v", updated)
		}
		wantContains(t, readBody(t, admin.get("/admin/contacts?q=new")), "new@example.com", "Initech")
		// The upload is gone once used.
		wantStatus(t, admin.get(preview), http.StatusNotFound)
		if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
			t.Fatalf("staged file left behind: %v", err)
		}
	})
}
