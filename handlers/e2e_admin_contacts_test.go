package handlers

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"portico/models"
	"portico/models/dbtest"
)

// TestE2EAdminContactImport: an admin uploads a small CSV with one bad row, sees the preview
// with the row's error, confirms, and finds the new contact by searching the contact list
// (the search swaps the table through htmx).
func TestE2EAdminContactImport(t *testing.T) {
	s := newLiveServer(t, dbtest.SQLite(t))
	_, pw := s.staff(models.RoleAdmin, "ada@example.com")
	csvPath := filepath.Join(t.TempDir(), "people.csv")
	data := "email,name,company,plan\nnina@example.com,Nina Novak,Initech,gold\nbroken-address,Bad Row,,\n"
	if err := os.WriteFile(csvPath, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, s.url)
	admin.adminSignIn("ada@example.com", pw)

	admin.open("/admin/contacts")
	admin.click("#contacts-import")
	admin.waitPath("/admin/contacts/import")
	admin.do("choose the CSV file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{csvPath}))
	if status := admin.submit("#import-upload"); status != http.StatusOK {
		t.Fatalf("upload: status %d", status)
	}
	if loc := admin.location(); !previewRe.MatchString(strings.TrimPrefix(loc, s.url)) {
		t.Fatalf("after the upload: at %s", loc)
	}
	if got := admin.text("#import-count-create"); got != "1" {
		t.Fatalf("to create = %q", got)
	}
	if got := admin.text("#import-count-errors"); got != "1" {
		t.Fatalf("rows with errors = %q", got)
	}
	if got := admin.text("#import-errors tbody"); !strings.Contains(got, "3") || !strings.Contains(got, "Not a valid e-mail address") ||
		!strings.Contains(got, "broken-address") {
		t.Fatalf("error table = %q", got)
	}
	if got := admin.text("#import-new-companies"); got != "Initech" {
		t.Fatalf("new companies = %q", got)
	}

	if status := admin.submit("#import-confirm-button"); status != http.StatusOK {
		t.Fatalf("confirm: status %d", status)
	}
	admin.waitPath("/admin/contacts/import")
	if got := admin.text("#import-created"); got != "1" {
		t.Fatalf("created = %q", got)
	}
	if got := admin.text("#import-failed"); got != "1" {
		t.Fatalf("failed = %q", got)
	}
	if got := admin.text("#flash [role=status]"); got != "Import finished." {
		t.Fatalf("flash = %q", got)
	}

	admin.click("#import-see-contacts")
	admin.waitPath("/admin/contacts")
	admin.do("search for the new contact", chromedp.SendKeys(chromedp.ID("contacts-q"), "novak"))
	admin.waitTrue("the search result", `(t => t && t.textContent.includes("nina@example.com"))(document.querySelector("#contacts-list"))`)
	admin.waitPath("/admin/contacts?q=novak&company=")
	if got := admin.text("#contacts-list tbody tr td:nth-child(3)"); got != "Initech" {
		t.Fatalf("company column = %q", got)
	}
	admin.click("#contacts-list tbody a")
	admin.waitTrue("the contact page", `document.querySelector("#contact-email")?.textContent === "nina@example.com"`)
	if got := admin.text("#contact-company"); got != "Initech" {
		t.Fatalf("contact's company = %q", got)
	}
}
