package handlers

// CSV import of contacts (SPEC A-5): upload, preview, confirm, error report. The upload waits
// on the server (app.ImportStage, under the data directory) under a random id bound to the
// admin and their session; the preview and the confirmation parse it again from there, so the
// rows written are never the browser's copy. The error report neutralises spreadsheet
// formulas (SECURITY INJ-02).

import (
	"bytes"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// Preview limits: rows shown from the top of the file, and issues listed on the page (the
// error report has them all).
const (
	importPreviewRows   = 20
	importPreviewIssues = 1000
)

// importPage is the view model of the upload page, which also shows the result of the last
// import when it redirects there.
type importPage struct {
	Base
	Update   bool
	Errors   map[string]string
	Result   *app.ImportResult
	MaxBytes int
}

// importOwner ties staged uploads to the signed-in admin and their session.
func (h *Handler) importOwner(c *fiber.Ctx) app.ImportOwner {
	v := h.viewer(c)
	return app.ImportOwner{StaffID: v.Staff.ID, SessionHash: app.HashToken(v.Token)}
}

// importStage opens the staging folder under the data directory; the caller closes it.
func (h *Handler) importStage() (*app.ImportStage, error) {
	return app.OpenImportStage(filepath.Join(h.cfg.DataDir, "imports"), h.app.Now)
}

// showContactImport shows the upload form, with the counts of an import just confirmed.
func (h *Handler) showContactImport(c *fiber.Ctx) error {
	vm := importPage{Base: h.base(c, "import.title", "admin"), MaxBytes: app.MaxImportBytes >> 20}
	if c.Query("done") == "1" {
		n := func(k string) int { v, _ := strconv.Atoi(c.Query(k)); return max(v, 0) }
		vm.Result = &app.ImportResult{Created: n("created"), Updated: n("updated"), Skipped: n("skipped"),
			Failed: n("failed"), Companies: n("companies"), Invited: n("invited")}
	}
	return h.render(c, fiber.StatusOK, "pages/admin/import", vm)
}

func (h *Handler) renderImportForm(c *fiber.Ctx, update bool, failed error) error {
	vm := importPage{Base: h.base(c, "import.title", "admin"), Update: update, MaxBytes: app.MaxImportBytes >> 20}
	var err error
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "file"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/import", vm)
}

// uploadContactImport checks an uploaded CSV and keeps it for the preview.
func (h *Handler) uploadContactImport(c *fiber.Ctx) error {
	update := c.FormValue("update") == "yes"
	fh, err := c.FormFile("file")
	if err != nil {
		return h.renderImportForm(c, update, models.Invalid("file", "contacts.import.error.no_file"))
	}
	if fh.Size > app.MaxImportBytes {
		return h.renderImportForm(c, update, models.Invalid("file", "contacts.import.error.too_large"))
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(file, app.MaxImportBytes+1))
	file.Close()
	if err != nil {
		return err
	}
	if _, err := app.ParseImport(bytes.NewReader(data)); err != nil {
		return h.renderImportForm(c, update, err)
	}
	stage, err := h.importStage()
	if err != nil {
		return err
	}
	defer stage.Close()
	id, err := stage.Put(h.importOwner(c), filepath.Base(fh.Filename), data)
	if err != nil {
		return err
	}
	to := "/admin/contacts/import/" + id
	if update {
		to += "?update=1"
	}
	return redirect(c, to)
}

// loadImport reads and parses the staged upload named by :key; anything not this admin's
// and session's own is 404.
func (h *Handler) loadImport(c *fiber.Ctx) (*app.ImportFile, string, error) {
	stage, err := h.importStage()
	if err != nil {
		return nil, "", err
	}
	defer stage.Close()
	data, name, err := stage.Get(c.Params("key"), h.importOwner(c))
	if err != nil {
		return nil, "", err
	}
	f, err := app.ParseImport(bytes.NewReader(data))
	if err != nil {
		return nil, "", fiber.ErrNotFound // it parsed at upload: the file was tampered with
	}
	return f, name, nil
}

// importSample is one row of the preview table.
type importSample struct {
	Line                                  int
	Email, Name, Phone, Company, Language string
	Properties                            string // key=value pairs
	Action                                string // translated
	Bad                                   bool
}

// importColumnView is one column of the file and what it fills, as the preview shows it.
type importColumnView struct {
	Header  string
	Target  string // translated
	Ignored bool
}

// importIssueView is one issue as the preview lists it.
type importIssueView struct {
	Line          int
	Column        string
	Reason, Value string
}

// importPreviewPage is the view model of the preview.
type importPreviewPage struct {
	Base
	Key                          string
	Filename                     string
	Semicolon                    bool
	Update                       bool
	Rows                         int
	Create, Updates, Skip, Fails int
	Columns                      []importColumnView
	Samples                      []importSample
	Issues                       []importIssueView
	MoreIssues                   int // issues not listed on the page
	NewCompanies                 []string
}

// issueReason translates an issue's reason.
func issueReason(t func(id string, data ...any) string, is app.ImportIssue) string {
	return t(is.Code, "Line", is.Other)
}

// importColumnLabel says what a column fills, translated.
func importColumnLabel(b Base, c app.ImportColumn) string {
	switch c.Target {
	case app.ColProperty:
		return b.T("import.target.property", "Key", c.Key)
	case app.ColIgnored:
		return b.T(c.Note)
	}
	return b.T("import.target." + c.Target)
}

// propsText shows properties as "key=value; key=value" in key order.
func propsText(p models.Props) string {
	var parts []string
	for _, kv := range sortedKV(p) {
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, "; ")
}

// showImportPreview shows how the file maps onto contacts and what confirming would do.
func (h *Handler) showImportPreview(c *fiber.Ctx) error {
	f, name, err := h.loadImport(c)
	if err != nil {
		return err
	}
	update := c.Query("update") == "1"
	p, err := h.app.PlanImport(c.UserContext(), f, update)
	if err != nil {
		return err
	}
	vm := importPreviewPage{Base: h.base(c, "import.preview.title", "admin"), Key: c.Params("key"), Filename: name,
		Semicolon: f.Delimiter == ';', Update: update, Rows: len(f.Rows), Create: p.Create, Updates: p.Updates,
		Skip: p.Skip, Fails: p.Errors, NewCompanies: p.NewCompanies}
	for _, col := range f.Columns {
		vm.Columns = append(vm.Columns, importColumnView{Header: col.Header, Target: importColumnLabel(vm.Base, col),
			Ignored: col.Target == app.ColIgnored})
	}
	for i, r := range f.Rows[:min(importPreviewRows, len(f.Rows))] {
		vm.Samples = append(vm.Samples, importSample{Line: r.Line, Email: r.Email, Name: r.Name, Phone: r.Phone,
			Company: r.Company, Language: r.Language, Properties: propsText(r.Properties),
			Action: vm.T("import.action." + string(p.Actions[i])), Bad: r.Bad})
	}
	for i, is := range f.Issues {
		if i == importPreviewIssues {
			vm.MoreIssues = len(f.Issues) - i
			break
		}
		vm.Issues = append(vm.Issues, importIssueView{Line: is.Line, Column: is.Column, Reason: issueReason(vm.T, is), Value: is.Value})
	}
	return h.render(c, fiber.StatusOK, "pages/admin/import_preview", vm)
}

// confirmContactImport writes the staged upload and shows the counts on the upload page.
func (h *Handler) confirmContactImport(c *fiber.Ctx) error {
	f, _, err := h.loadImport(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := h.app.PlanImport(ctx, f, c.FormValue("update") == "yes")
	if err != nil {
		return err
	}
	res, err := h.app.ApplyImport(ctx, p)
	if err != nil {
		return err
	}
	if stage, err := h.importStage(); err == nil {
		stage.Delete(c.Params("key"))
		stage.Close()
	}
	h.setFlash(c, "info", "flash.contacts_imported")
	q := "done=1&created=" + strconv.Itoa(res.Created) + "&updated=" + strconv.Itoa(res.Updated) +
		"&skipped=" + strconv.Itoa(res.Skipped) + "&failed=" + strconv.Itoa(res.Failed) + "&companies=" + strconv.Itoa(res.Companies)
	if res.Invited > 0 {
		q += "&invited=" + strconv.Itoa(res.Invited)
	}
	return redirect(c, "/admin/contacts/import?"+q)
}

// downloadImportErrors sends every issue of the staged upload as CSV, cells made safe for
// spreadsheets.
func (h *Handler) downloadImportErrors(c *fiber.Ctx) error {
	f, _, err := h.loadImport(c)
	if err != nil {
		return err
	}
	lang := h.lang(c)
	t := func(id string, data ...any) string { return h.tr.T(lang, id, data...) }
	headings := [4]string{t("import.report.line"), t("import.report.column"), t("import.report.reason"), t("import.report.value")}
	var buf bytes.Buffer
	if err := app.WriteImportReport(&buf, f, headings, func(is app.ImportIssue) string { return issueReason(t, is) }); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="import-errors.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
