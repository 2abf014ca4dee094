package app

// CSV import of contacts (SPEC A-5). An upload is parsed and checked row by row (ParseImport),
// compared with the database in batches (PlanImport: one query per MaxBatch addresses, never
// one per row), shown as a preview, and written on confirmation in batched transactions
// (ApplyImport). Between the preview and the confirmation the raw upload waits in an
// ImportStage on the server; the confirmation parses it again, so no parsed row ever travels
// through the browser.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"portico/models"
)

// Import limits.
const (
	MaxImportBytes = 5 << 20 // largest CSV accepted
	MaxImportRows  = 100_000 // data rows in one file
	ImportTTL      = 2 * time.Hour
	maxIssueValue  = 80 // bytes of a bad value quoted in the error report
)

// Import column targets; anything else becomes a custom property.
const (
	ColEmail    = "email"
	ColName     = "name"
	ColPhone    = "phone"
	ColCompany  = "company"
	ColLanguage = "language"
	ColProperty = "property"
	ColIgnored  = "ignored"
)

// headerAliases maps normalised header names (PropertyKey of the header) to columns.
var headerAliases = map[string]string{
	"email": ColEmail, "e_mail": ColEmail, "email_address": ColEmail, "e_mail_address": ColEmail, "mail": ColEmail,
	"name": ColName, "full_name": ColName, "contact_name": ColName, "nome": ColName,
	"phone": ColPhone, "phone_number": ColPhone, "telephone": ColPhone, "tel": ColPhone, "mobile": ColPhone, "telefone": ColPhone,
	"company": ColCompany, "company_name": ColCompany, "organisation": ColCompany, "organization": ColCompany, "empresa": ColCompany,
	"language": ColLanguage, "lang": ColLanguage, "locale": ColLanguage, "idioma": ColLanguage,
}

// ImportColumn is one column of the file and what it fills.
type ImportColumn struct {
	Header string // as written in the file
	Target string // ColEmail … ColProperty, or ColIgnored
	Key    string // the property key when Target is ColProperty
	Note   string // message ID saying why a column is ignored
}

// ImportRow is one data row of the file with its checked values.
type ImportRow struct {
	Line                                  int // line of the file where the row starts (the header is line 1)
	Email, Name, Phone, Company, Language string
	Properties                            models.Props
	Bad                                   bool // at least one issue: the row is skipped
}

// ImportIssue is one problem with a row: where it is, which column, why, and the value.
type ImportIssue struct {
	Line   int
	Column string // the column's header; "" for the whole row
	Code   string // message ID of the reason
	Other  int    // for a duplicate, the line that had the address first
	Value  string
}

// ImportFile is a parsed upload.
type ImportFile struct {
	Delimiter rune
	Columns   []ImportColumn
	Rows      []ImportRow
	Issues    []ImportIssue
}

// ParseImport reads a CSV upload: at most MaxImportBytes of UTF-8 (a byte-order mark is
// dropped), separated by commas or semicolons (whichever the header line has more of), with a
// header row naming the columns. A problem with the file as a whole is a ValidationError on
// the field "file"; problems with rows are Issues, and those rows are marked Bad.
func ParseImport(r io.Reader) (*ImportFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, err
	}
	switch {
	case len(data) > MaxImportBytes:
		return nil, models.Invalid("file", "contacts.import.error.too_large")
	case !utf8.Valid(data):
		return nil, models.Invalid("file", "contacts.import.error.encoding")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, models.Invalid("file", "contacts.import.error.empty")
	}
	f := &ImportFile{Delimiter: detectDelimiter(data)}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = f.Delimiter
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, models.Invalid("file", "contacts.import.error.header")
	}
	f.Columns = mapColumns(header)
	if !f.has(ColEmail) {
		return nil, models.Invalid("file", "contacts.import.error.no_email")
	}
	first := map[string]int{} // address → line of its first good row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if len(f.Rows) >= MaxImportRows {
			return nil, models.Invalid("file", "contacts.import.error.too_many_rows")
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			f.Rows = append(f.Rows, ImportRow{Line: pe.StartLine, Bad: true})
			f.Issues = append(f.Issues, ImportIssue{Line: pe.StartLine, Code: "contacts.import.reason.malformed"})
			continue
		}
		if err != nil {
			return nil, err
		}
		if blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		f.addRow(line, rec, first)
	}
	if len(f.Rows) == 0 {
		return nil, models.Invalid("file", "contacts.import.error.no_rows")
	}
	return f, nil
}

// detectDelimiter counts commas and semicolons outside quotes on the header line.
func detectDelimiter(data []byte) rune {
	commas, semis, quoted := 0, 0, false
	for _, b := range data {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// mapColumns names what each header fills. A second column for the same field, or for the
// same property key, is ignored (and says so), as is a header with nothing usable in it.
func mapColumns(header []string) []ImportColumn {
	cols := make([]ImportColumn, len(header))
	used := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		key := PropertyKey(h)
		c := ImportColumn{Header: h, Target: ColProperty, Key: key}
		if t, ok := headerAliases[key]; ok {
			c.Target, c.Key = t, ""
		}
		id := c.Target + ":" + c.Key
		switch {
		case key == "":
			c.Target, c.Key, c.Note = ColIgnored, "", "contacts.import.column.unnamed"
		case used[id]:
			c.Target, c.Key, c.Note = ColIgnored, "", "contacts.import.column.repeated"
		}
		used[id] = true
		cols[i] = c
	}
	return cols
}

func (f *ImportFile) has(target string) bool {
	for _, c := range f.Columns {
		if c.Target == target {
			return true
		}
	}
	return false
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// addRow checks one record and appends it with its issues.
func (f *ImportFile) addRow(line int, rec []string, first map[string]int) {
	row := ImportRow{Line: line, Properties: models.Props{}}
	issue := func(col, code, value string) {
		row.Bad = true
		if len(value) > maxIssueValue {
			value = truncateUTF8(value, maxIssueValue) + "…"
		}
		f.Issues = append(f.Issues, ImportIssue{Line: line, Column: col, Code: code, Value: value})
	}
	if len(rec) > len(f.Columns) {
		issue("", "contacts.import.reason.extra_columns", "")
	}
	for i, c := range f.Columns {
		if i >= len(rec) {
			break // spreadsheets drop trailing empty cells
		}
		v := strings.TrimSpace(rec[i])
		switch c.Target {
		case ColEmail:
			row.Email = models.NormalizeEmail(v)
			switch {
			case v == "":
				issue(c.Header, "contacts.import.reason.email_missing", "")
			case len(v) > 254:
				issue(c.Header, "contacts.import.reason.too_long", v)
			case !validEmail(row.Email):
				issue(c.Header, "contacts.import.reason.email_invalid", v)
			}
		case ColName:
			row.Name = v
			if len(v) > MaxContactName {
				issue(c.Header, "contacts.import.reason.too_long", v)
			} else if !singleLine(v, MaxContactName) {
				issue(c.Header, "contacts.import.reason.line_break", v)
			}
		case ColPhone:
			row.Phone = v
			if len(v) > MaxContactPhone {
				issue(c.Header, "contacts.import.reason.too_long", v)
			} else if !singleLine(v, MaxContactPhone) || !phoneRe.MatchString(v) {
				issue(c.Header, "contacts.import.reason.phone_invalid", v)
			}
		case ColCompany:
			row.Company = v
			if len(v) > MaxCompanyName {
				issue(c.Header, "contacts.import.reason.too_long", v)
			} else if !singleLine(v, MaxCompanyName) {
				issue(c.Header, "contacts.import.reason.line_break", v)
			}
		case ColLanguage:
			tag, ok := ContactLanguage(v)
			row.Language = tag
			if !ok {
				issue(c.Header, "contacts.import.reason.language_invalid", v)
			}
		case ColProperty:
			if len(v) > MaxPropertyValue {
				issue(c.Header, "contacts.import.reason.too_long", v)
			} else if v != "" {
				row.Properties[c.Key] = v
			}
		}
	}
	if !row.Bad {
		if at, dup := first[row.Email]; dup {
			row.Bad = true
			f.Issues = append(f.Issues, ImportIssue{Line: line, Column: f.header(ColEmail), Code: "contacts.import.reason.duplicate",
				Other: at, Value: row.Email})
		} else {
			first[row.Email] = line
		}
	}
	f.Rows = append(f.Rows, row)
}

// header returns the header of the column filling target.
func (f *ImportFile) header(target string) string {
	for _, c := range f.Columns {
		if c.Target == target {
			return c.Header
		}
	}
	return ""
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ImportAction is what confirming will do with a row.
type ImportAction string

// Import actions.
const (
	ImportCreate ImportAction = "create"
	ImportUpdate ImportAction = "update"
	ImportSkip   ImportAction = "skip" // the address exists and updating was not asked for
	ImportError  ImportAction = "error"
)

// ImportPlan is a parsed file compared with the database.
type ImportPlan struct {
	File          *ImportFile
	Update        bool           // update contacts that exist
	Actions       []ImportAction // one per File.Rows
	Create        int
	Updates       int
	Skip          int
	Errors        int // rows with at least one issue
	NewCompanies  []string
	existing      map[string]models.Contact // by address
	companies     map[string]models.Company // by lower-cased name
	missingByName map[string]string         // lower-cased → name as first written
}

// PlanImport decides what each row does, reading the addresses and company names it needs in
// batches of models.MaxBatch.
func (a *App) PlanImport(ctx context.Context, f *ImportFile, update bool) (*ImportPlan, error) {
	p := &ImportPlan{File: f, Update: update, Actions: make([]ImportAction, len(f.Rows)),
		existing: map[string]models.Contact{}, companies: map[string]models.Company{}, missingByName: map[string]string{}}
	var emails, names []string
	seenName := map[string]bool{}
	for _, r := range f.Rows {
		if r.Bad {
			continue
		}
		emails = append(emails, r.Email)
		if k := strings.ToLower(r.Company); r.Company != "" && !seenName[k] {
			seenName[k] = true
			names = append(names, r.Company)
		}
	}
	for batch := range slicesChunk(emails, models.MaxBatch) {
		found, err := a.Stores.Contacts.ByEmails(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			p.existing[c.Email] = c
		}
	}
	for batch := range slicesChunk(names, models.MaxBatch) {
		found, err := a.Stores.Companies.ByNames(ctx, batch)
		if err != nil {
			return nil, err
		}
		for k, c := range found {
			p.companies[k] = c
		}
	}
	for i, r := range f.Rows {
		_, exists := p.existing[r.Email]
		switch {
		case r.Bad:
			p.Actions[i] = ImportError
			p.Errors++
			continue
		case !exists:
			p.Actions[i] = ImportCreate
			p.Create++
		case update:
			p.Actions[i] = ImportUpdate
			p.Updates++
		default:
			p.Actions[i] = ImportSkip
			p.Skip++
			continue
		}
		k := strings.ToLower(r.Company)
		if _, known := p.companies[k]; r.Company != "" && !known {
			if _, listed := p.missingByName[k]; !listed {
				p.missingByName[k] = r.Company
				p.NewCompanies = append(p.NewCompanies, r.Company)
			}
		}
	}
	return p, nil
}

// slicesChunk yields consecutive pieces of s of at most n elements.
func slicesChunk[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			m := min(n, len(s))
			if !yield(s[:m:m]) {
				return
			}
			s = s[m:]
		}
	}
}

// ImportResult counts what confirming did.
type ImportResult struct {
	Created, Updated, Skipped, Failed, Companies int
	Invited                                      int // contacts the import put on an access list, invited to the portal
}

// ApplyImport writes a plan in transactions of models.MaxBatch rows each: the batch's missing
// companies first, then one insert of its new contacts and one upsert of its updated ones.
// New contacts are active and have no password. An update keeps what the file leaves empty.
func (a *App) ApplyImport(ctx context.Context, p *ImportPlan) (ImportResult, error) {
	res := ImportResult{Skipped: p.Skip, Failed: p.Errors}
	var todo []int
	for i, act := range p.Actions {
		if act == ImportCreate || act == ImportUpdate {
			todo = append(todo, i)
		}
	}
	for batch := range slicesChunk(todo, models.MaxBatch) {
		emails := make([]string, len(batch))
		for j, i := range batch {
			emails[j] = p.File.Rows[i].Email
		}
		watch, err := a.watchAccess(ctx, func(lists []int64) ([]models.Contact, error) {
			return a.Stores.Contacts.MembersByEmails(ctx, lists, emails)
		})
		if err != nil {
			return res, err
		}
		err = a.Stores.InTx(ctx, func(tx *models.Stores) error {
			n, err := a.importCompanies(ctx, tx, p, batch)
			if err != nil {
				return err
			}
			res.Companies += n
			var creates, updates []models.Contact
			now := a.Now()
			for _, i := range batch {
				c := p.contactFor(i, now)
				if p.Actions[i] == ImportCreate {
					creates = append(creates, c)
				} else {
					updates = append(updates, c)
				}
			}
			if err := tx.Contacts.InsertNew(ctx, creates); err != nil {
				return err
			}
			return tx.Contacts.Upsert(ctx, updates)
		})
		if err != nil {
			return res, err
		}
		res.Invited += watch.inviteJoined(ctx, a)
		for _, i := range batch {
			if p.Actions[i] == ImportCreate {
				res.Created++
			} else {
				res.Updated++
			}
		}
	}
	a.Log.Info("contacts imported", "created", res.Created, "updated", res.Updated, "skipped", res.Skipped,
		"failed", res.Failed, "companies", res.Companies, "invited", res.Invited)
	return res, nil
}

// importCompanies creates, in one statement, the companies a batch names that do not exist.
func (a *App) importCompanies(ctx context.Context, tx *models.Stores, p *ImportPlan, batch []int) (int, error) {
	var create []models.Company
	now := a.Now()
	want := map[string]bool{}
	for _, i := range batch {
		name := p.File.Rows[i].Company
		k := strings.ToLower(name)
		if _, known := p.companies[k]; name == "" || known || want[k] {
			continue
		}
		want[k] = true
		create = append(create, models.Company{Name: p.missingByName[k], CreatedAt: now, UpdatedAt: now})
	}
	if err := tx.Companies.CreateMany(ctx, create); err != nil {
		return 0, err
	}
	for _, c := range create {
		p.companies[strings.ToLower(c.Name)] = c
	}
	return len(create), nil
}

// contactFor builds the contact row i writes: a new one, or the existing one with the file's
// non-empty values over it.
func (p *ImportPlan) contactFor(i int, now time.Time) models.Contact {
	r := p.File.Rows[i]
	c, exists := p.existing[r.Email]
	if !exists {
		c = models.Contact{Email: r.Email, Active: true, Properties: models.Props{}, CreatedAt: now}
	}
	c.UpdatedAt = now
	props := models.Props{}
	for k, v := range c.Properties {
		props[k] = v
	}
	for k, v := range r.Properties {
		props[k] = v
	}
	c.Properties = props
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Name, r.Name)
	set(&c.Phone, r.Phone)
	set(&c.Language, r.Language)
	if co, ok := p.companies[strings.ToLower(r.Company)]; r.Company != "" && ok {
		c.CompanyID = &co.ID
	}
	return c
}

// ---------------------------------------------------------------------------------------------
// The error report

// csvFormulaLead are the first characters that make a spreadsheet treat a cell as a formula
// (SECURITY INJ-02).
const csvFormulaLead = "=+-@\t\r\x00"

// CSVSafe neutralises a cell for a spreadsheet: one that starts like a formula gets a leading
// single quote, so it shows as text and never runs.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune(csvFormulaLead, rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteImportReport writes the issues of a file as CSV: line, column, reason (translated by
// reason) and value, every cell made safe for spreadsheets.
func WriteImportReport(w io.Writer, f *ImportFile, headings [4]string, reason func(ImportIssue) string) error {
	cw := csv.NewWriter(w)
	row := make([]string, 4)
	for i, h := range headings {
		row[i] = CSVSafe(h)
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	for _, is := range f.Issues {
		row[0], row[1], row[2], row[3] = fmt.Sprint(is.Line), CSVSafe(is.Column), CSVSafe(reason(is)), CSVSafe(is.Value)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ---------------------------------------------------------------------------------------------
// Staging between preview and confirmation

// ImportOwner ties a staged upload to the admin and the session that sent it.
type ImportOwner struct {
	StaffID     int64  `json:"staff_id"`
	SessionHash string `json:"session"` // HashToken of the session token
}

// importMeta is stored beside a staged upload.
type importMeta struct {
	Owner    ImportOwner `json:"owner"`
	Created  time.Time   `json:"created"`
	Filename string      `json:"filename"`
}

// ImportStage keeps uploads in a folder of the data directory under random ids, each with
// its owner; only that admin, in that session, within ImportTTL, can read it back.
type ImportStage struct {
	root *os.Root
	now  func() time.Time
}

var stageIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// OpenImportStage opens (creating) dir as the staging folder; now is the clock.
func OpenImportStage(dir string, now func() time.Time) (*ImportStage, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("import stage: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("import stage: %w", err)
	}
	return &ImportStage{root: root, now: now}, nil
}

// Close releases the folder.
func (s *ImportStage) Close() error { return s.root.Close() }

// Put stores an upload and returns its id. Expired uploads are swept first.
func (s *ImportStage) Put(owner ImportOwner, filename string, data []byte) (string, error) {
	s.Sweep()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	meta, err := json.Marshal(importMeta{Owner: owner, Created: s.now(), Filename: truncateUTF8(filename, 200)})
	if err != nil {
		return "", err
	}
	if err := s.write(id+".csv", data); err != nil {
		return "", err
	}
	if err := s.write(id+".json", meta); err != nil {
		s.Delete(id)
		return "", err
	}
	return id, nil
}

func (s *ImportStage) write(name string, data []byte) error {
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("import stage: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns a staged upload and its file name. An id that is malformed, unknown, expired or
// someone else's is models.ErrNotFound, all alike.
func (s *ImportStage) Get(id string, owner ImportOwner) ([]byte, string, error) {
	if !stageIDRe.MatchString(id) {
		return nil, "", models.ErrNotFound
	}
	raw, err := s.root.ReadFile(id + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", models.ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}
	var m importMeta
	if json.Unmarshal(raw, &m) != nil || m.Owner != owner || s.now().Sub(m.Created) > ImportTTL {
		return nil, "", models.ErrNotFound
	}
	data, err := s.root.ReadFile(id + ".csv")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", models.ErrNotFound
	}
	return data, m.Filename, err
}

// Delete removes a staged upload.
func (s *ImportStage) Delete(id string) {
	if stageIDRe.MatchString(id) {
		s.root.Remove(id + ".csv")
		s.root.Remove(id + ".json")
	}
}

// Sweep removes uploads whose files are older than ImportTTL (by the wall clock: file times
// are real times, whatever clock the app runs on).
func (s *ImportStage) Sweep() {
	dir, err := s.root.Open(".")
	if err != nil {
		return
	}
	entries, err := dir.ReadDir(-1)
	dir.Close()
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && time.Since(info.ModTime()) > ImportTTL {
			s.root.Remove(e.Name())
		}
	}
}
