package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm/logger"

	"portico/models"
	"portico/models/dbtest"
)

func parseOK(t *testing.T, csv string) *ImportFile {
	t.Helper()
	f, err := ParseImport(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("ParseImport: %v", err)
	}
	return f
}

// issueCodes lists the issues as "line:column:reason-suffix".
func issueCodes(f *ImportFile) []string {
	var out []string
	for _, is := range f.Issues {
		out = append(out, fmt.Sprintf("%d:%s:%s", is.Line, is.Column, strings.TrimPrefix(is.Code, "contacts.import.reason.")))
	}
	return out
}

func TestParseImportMapsColumns(t *testing.T) {
	f := parseOK(t, "\xef\xbb\xbfE-mail;Full Name;Phone;Company;Language;Plan Tier;;email;PLAN tier\n"+
		"Ana@Example.com;Ana Lima;+55 11 5555-0000;ACME;PT-br;Gold;x;other@example.com;dup\n")
	if f.Delimiter != ';' {
		t.Fatalf("delimiter %q, want ;", f.Delimiter)
	}
	var got []string
	for _, c := range f.Columns {
		got = append(got, c.Target+"/"+c.Key)
	}
	want := []string{"email/", "name/", "phone/", "company/", "language/", "property/plan_tier", "ignored/", "ignored/", "ignored/"}
	if !slices.Equal(got, want) {
		t.Fatalf("columns = %v\nwant %v", got, want)
	}
	if f.Columns[0].Header != "E-mail" || f.Columns[7].Note != "contacts.import.column.repeated" || f.Columns[6].Note != "contacts.import.column.unnamed" {
		t.Fatalf("headers and notes: %+v", f.Columns)
	}
	r := f.Rows[0]
	if r.Line != 2 || r.Bad || r.Email != "ana@example.com" || r.Name != "Ana Lima" || r.Phone != "+55 11 5555-0000" ||
		r.Company != "ACME" || r.Language != "pt-BR" || r.Properties["plan_tier"] != "Gold" || len(r.Properties) != 1 {
		t.Fatalf("row = %+v", r)
	}
}

func TestParseImportRowErrors(t *testing.T) {
	long := strings.Repeat("n", MaxContactName+1)
	f := parseOK(t, "email,name,language,notes\n"+
		"good@example.com,Good,en,\n"+ // 2
		"not-an-email,Bad,,\n"+ // 3
		",No address,,\n"+ // 4
		"GOOD@example.com,Again,,\n"+ // 5: duplicate of line 2
		"long@example.com,"+long+",,\n"+ // 6
		"lang@example.com,L,klingon,\n"+ // 7
		"extra@example.com,E,,,surplus\n"+ // 8
		"\"multi@example.com\",\"Two\nLines\",,\n"+ // 9–10
		",,,\n"+ // blank: skipped
		"after@example.com,After,,\"=HYPERLINK()\"\n"+ // 12
		"quote@example.com,Bad \"quote,,\n") // 13
	want := []string{
		"3:email:email_invalid", "4:email:email_missing", "5:email:duplicate", "6:name:too_long",
		"7:language:language_invalid", "8::extra_columns", "9:name:line_break", "13::malformed",
	}
	if got := issueCodes(f); !slices.Equal(got, want) {
		t.Fatalf("issues =\n%v\nwant\n%v", got, want)
	}
	if f.Issues[2].Other != 2 {
		t.Fatalf("duplicate points at line %d, want 2", f.Issues[2].Other)
	}
	var good []string
	for _, r := range f.Rows {
		if !r.Bad {
			good = append(good, fmt.Sprintf("%d:%s", r.Line, r.Email))
		}
	}
	if !slices.Equal(good, []string{"2:good@example.com", "12:after@example.com"}) {
		t.Fatalf("good rows = %v", good)
	}
	if f.Delimiter != ',' {
		t.Fatalf("delimiter %q", f.Delimiter)
	}
}

func TestParseImportRefusesBadFiles(t *testing.T) {
	cases := []struct {
		name, data, code string
	}{
		{"empty", "  \n", "contacts.import.error.empty"},
		{"not UTF-8", "email\n\xff\xfe@example.com\n", "contacts.import.error.encoding"},
		{"no e-mail column", "name,phone\nAna,1\n", "contacts.import.error.no_email"},
		{"header only", "email\n", "contacts.import.error.no_rows"},
		{"too large", "email\n" + strings.Repeat("a@example.com\n", MaxImportBytes/14+1), "contacts.import.error.too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseImport(strings.NewReader(tc.data))
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != "file" || ve.Code != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
}

func TestCSVSafeAndReport(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\x00x": "'\x00x",
		"plain": "plain", "": "", "a=b": "a=b",
	} {
		if got := CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
	f := parseOK(t, "email,name\n=cmd|'/c calc'!A1,x\n")
	var buf bytes.Buffer
	err := WriteImportReport(&buf, f, [4]string{"line", "column", "reason", "value"}, func(is ImportIssue) string { return "bad: " + is.Code })
	if err != nil {
		t.Fatal(err)
	}
	want := "line,column,reason,value\n2,email,bad: contacts.import.reason.email_invalid,'=cmd|'/c calc'!A1\n"
	if buf.String() != want {
		t.Fatalf("report =\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestImportStage(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := OpenImportStage(filepath.Join(t.TempDir(), "imports"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	owner := ImportOwner{StaffID: 1, SessionHash: "abc"}
	id, err := s.Put(owner, "people.csv", []byte("email\na@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	data, name, err := s.Get(id, owner)
	if err != nil || name != "people.csv" || string(data) != "email\na@example.com\n" {
		t.Fatalf("Get = %q, %q, %v", data, name, err)
	}
	for _, tc := range []struct {
		name  string
		id    string
		owner ImportOwner
	}{
		{"other admin", id, ImportOwner{StaffID: 2, SessionHash: "abc"}},
		{"other session", id, ImportOwner{StaffID: 1, SessionHash: "def"}},
		{"path", "../../etc/passwd", owner},
		{"unknown", strings.Repeat("0", 32), owner},
	} {
		if _, _, err := s.Get(tc.id, tc.owner); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tc.name, err)
		}
	}
	now = now.Add(ImportTTL + time.Minute)
	if _, _, err := s.Get(id, owner); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("expired: %v", err)
	}
	s.Delete(id)
}

func TestPlanAndApplyImport(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		acme := models.Company{Name: "ACME"}
		if err := a.Stores.Companies.Create(ctx, &acme); err != nil {
			t.Fatal(err)
		}
		old := models.Contact{Email: "old@example.com", Name: "Old Name", Phone: "1", Active: true, Properties: models.Props{"keep": "yes", "plan": "silver"}}
		if err := a.Stores.Contacts.Create(ctx, &old); err != nil {
			t.Fatal(err)
		}
		data := "email,name,company,plan\n" +
			"old@example.com,,acme,gold\n" +
			"new@example.com,New One,Initech,\n" +
			"two@example.com,Two,INITECH,basic\n" +
			"bad,Bad,,\n"
		f := parseOK(t, data)

		skip, err := a.PlanImport(ctx, f, false)
		if err != nil {
			t.Fatal(err)
		}
		if skip.Create != 2 || skip.Updates != 0 || skip.Skip != 1 || skip.Errors != 1 || !slices.Equal(skip.NewCompanies, []string{"Initech"}) {
			t.Fatalf("plan without update = %+v", skip)
		}
		if !slices.Equal(skip.Actions, []ImportAction{ImportSkip, ImportCreate, ImportCreate, ImportError}) {
			t.Fatalf("actions = %v", skip.Actions)
		}

		p, err := a.PlanImport(ctx, f, true)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.ApplyImport(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if res != (ImportResult{Created: 2, Updated: 1, Skipped: 0, Failed: 1, Companies: 1}) {
			t.Fatalf("result = %+v", res)
		}
		got, _ := a.Stores.Contacts.ByEmail(ctx, "old@example.com")
		if got.Name != "Old Name" || got.Phone != "1" || got.CompanyID == nil || *got.CompanyID != acme.ID ||
			got.Properties["keep"] != "yes" || got.Properties["plan"] != "gold" {
			t.Fatalf("updated contact = %+v", got)
		}
		n1, _ := a.Stores.Contacts.ByEmail(ctx, "new@example.com")
		n2, _ := a.Stores.Contacts.ByEmail(ctx, "two@example.com")
		if !n1.Active || n1.PasswordHash != "" || n1.CompanyID == nil || n2.CompanyID == nil || *n1.CompanyID != *n2.CompanyID {
			t.Fatalf("new contacts = %+v / %+v", n1, n2)
		}
		if countTable(t, db, "companies") != 2 {
			t.Fatalf("companies = %d, want 2", countTable(t, db, "companies"))
		}
		// Again, without updating: everything exists now.
		again, _ := a.PlanImport(ctx, f, false)
		if again.Create != 0 || again.Skip != 3 || len(again.NewCompanies) != 0 {
			t.Fatalf("second plan = %+v", again)
		}
	})
}

// countingLogger counts the SQL statements GORM runs.
type countingLogger struct {
	logger.Interface
	n atomic.Int64
}

func (l *countingLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	l.n.Add(1)
}

// TestImportTenThousandRowsInFewStatements: looking addresses up and writing rows go in
// batches, so the number of statements grows with the number of batches, not of rows.
func TestImportTenThousandRowsInFewStatements(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		// A few hundred contacts exist already; the file updates them.
		var existing []models.Contact
		for i := range 300 {
			existing = append(existing, models.Contact{Email: fmt.Sprintf("p%05d@example.com", i), Name: "old", Active: true})
		}
		if err := a.Stores.Contacts.InsertNew(ctx, existing); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("email,name,company,plan\n")
		const rows = 10_000
		for i := range rows {
			fmt.Fprintf(&b, "p%05d@example.com,Person %d,Company %d,tier%d\n", i, i, i%40, i%3)
		}
		f := parseOK(t, b.String())
		if len(f.Issues) != 0 || len(f.Rows) != rows {
			t.Fatalf("%d rows, issues %v", len(f.Rows), issueCodes(f))
		}
		count := &countingLogger{Interface: logger.Discard}
		db.Gorm.Config.Logger = count
		t.Cleanup(func() { db.Gorm.Config.Logger = logger.Discard })

		p, err := a.PlanImport(ctx, f, true)
		if err != nil {
			t.Fatal(err)
		}
		planned := count.n.Load()
		res, err := a.ApplyImport(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		total := count.n.Load()
		t.Logf("%d rows: %d statements to plan, %d to write", rows, planned, total-planned)
		if res.Created != rows-300 || res.Updated != 300 || res.Companies != 40 {
			t.Fatalf("result = %+v", res)
		}
		if total > 100 {
			t.Fatalf("%d statements for %d rows, want at most 100", total, rows)
		}
		db.Gorm.Config.Logger = logger.Discard
		if n := countTable(t, db, "contacts"); n != rows {
			t.Fatalf("contacts = %d, want %d", n, rows)
		}
		got, _ := a.Stores.Contacts.ByEmail(ctx, "p09999@example.com")
		if got.Name != "Person 9999" || got.Properties["plan"] != "tier0" || got.CompanyID == nil {
			t.Fatalf("last row = %+v", got)
		}
	})
}
