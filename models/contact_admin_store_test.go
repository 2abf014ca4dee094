package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// mkContact stores a contact for the admin store tests.
func mkContact(t *testing.T, s *models.Stores, email, name string, company *int64, lang string, props models.Props) models.Contact {
	t.Helper()
	c := models.Contact{Email: email, Name: name, CompanyID: company, Language: lang, Active: true, Properties: props}
	if err := s.Contacts.Create(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mkCompany(t *testing.T, s *models.Stores, name, domain string) models.Company {
	t.Helper()
	co := models.Company{Name: name, Domain: domain}
	if err := s.Companies.Create(context.Background(), &co); err != nil {
		t.Fatal(err)
	}
	return co
}

func emailsOf(rows []models.ContactRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Email)
	}
	return out
}

func TestContactSearchKeysetPages(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		acme := mkCompany(t, s, "ACME", "acme.test")
		for i := range 7 {
			var co *int64
			if i%2 == 0 {
				co = &acme.ID
			}
			mkContact(t, s, fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("User %d", i), co, "", nil)
		}
		mkContact(t, s, "zed@other.test", "Ana Percent%", nil, "", nil)

		p1, err := s.Contacts.Search(ctx, models.ContactQuery{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := emailsOf(p1.Rows); !slices.Equal(got, []string{"user0@example.com", "user1@example.com", "user2@example.com"}) ||
			p1.PrevCursor != "" || p1.NextCursor != "user2@example.com" {
			t.Fatalf("page 1 = %v prev %q next %q", got, p1.PrevCursor, p1.NextCursor)
		}
		if p1.Rows[0].CompanyName != "ACME" || p1.Rows[1].CompanyName != "" {
			t.Fatalf("company names: %+v", p1.Rows)
		}
		p2, _ := s.Contacts.Search(ctx, models.ContactQuery{Limit: 3, After: p1.NextCursor})
		p3, _ := s.Contacts.Search(ctx, models.ContactQuery{Limit: 3, After: p2.NextCursor})
		if got := emailsOf(p3.Rows); !slices.Equal(got, []string{"user6@example.com", "zed@other.test"}) || p3.NextCursor != "" || p3.PrevCursor != "user6@example.com" {
			t.Fatalf("page 3 = %v prev %q next %q", got, p3.PrevCursor, p3.NextCursor)
		}
		back, _ := s.Contacts.Search(ctx, models.ContactQuery{Limit: 3, Before: p3.PrevCursor})
		if !slices.Equal(emailsOf(back.Rows), emailsOf(p2.Rows)) || back.NextCursor != p2.NextCursor || back.PrevCursor != p2.PrevCursor {
			t.Fatalf("back from page 3 = %+v, want page 2 %+v", back, p2)
		}
		first, _ := s.Contacts.Search(ctx, models.ContactQuery{Limit: 3, Before: p2.PrevCursor})
		if !slices.Equal(emailsOf(first.Rows), emailsOf(p1.Rows)) || first.PrevCursor != "" {
			t.Fatalf("back to page 1 = %+v", first)
		}

		// Search by part of the address or the name, any case; wildcards are literal.
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"USER3", []string{"user3@example.com"}},
			{"user 5", []string{"user5@example.com"}},
			{"other.test", []string{"zed@other.test"}},
			{"ana perc", []string{"zed@other.test"}},
			{"%", []string{"zed@other.test"}},
			{"_", nil},
			{"' OR 1=1--", nil},
		} {
			got, err := s.Contacts.Search(ctx, models.ContactQuery{Search: tc.q})
			if err != nil || !slices.Equal(emailsOf(got.Rows), tc.want) {
				t.Errorf("search %q = %v, %v; want %v", tc.q, emailsOf(got.Rows), err, tc.want)
			}
		}
		byCo, _ := s.Contacts.Search(ctx, models.ContactQuery{CompanyID: acme.ID})
		if len(byCo.Rows) != 4 {
			t.Fatalf("ACME contacts = %v", emailsOf(byCo.Rows))
		}
	})
}

func TestContactUpdateDeleteAndTickets(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		co := mkCompany(t, s, "Globex", "")
		a := mkContact(t, s, "a@example.com", "A", nil, "", nil)
		b := mkContact(t, s, "b@example.com", "B", nil, "", nil)
		now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
		a.Email, a.Name, a.CompanyID, a.Properties = " A.New@Example.com", "Ann", &co.ID, models.Props{"plan": "gold"}
		if err := s.Contacts.Update(ctx, a, now); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Contacts.ByID(ctx, a.ID)
		if got.Email != "a.new@example.com" || got.Name != "Ann" || got.CompanyID == nil || got.Properties["plan"] != "gold" {
			t.Fatalf("after update: %+v", got)
		}
		b.Email = "A.NEW@example.com"
		if err := s.Contacts.Update(ctx, b, now); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("taken e-mail: %v", err)
		}
		if err := s.Contacts.Update(ctx, models.Contact{ID: 99999, Email: "x@example.com"}, now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown contact: %v", err)
		}

		// Tickets: latest first, at most the limit; a deleted contact's tickets stay.
		p := seedPipeline(t, s)
		open, _ := p.FirstOpenStage()
		for i := range 3 {
			at := now.Add(time.Duration(i) * time.Hour)
			tk := &models.Ticket{Subject: fmt.Sprintf("t%d", i), PipelineID: p.ID, StageID: open.ID, SourceChannel: models.ChannelPortal,
				ContactID: &a.ID, CompanyID: &co.ID, CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
			if err := s.Tickets.Create(ctx, tk); err != nil {
				t.Fatal(err)
			}
		}
		tickets, err := s.Contacts.RecentTickets(ctx, a.ID, 2)
		if err != nil || len(tickets) != 2 || tickets[0].Subject != "t2" || tickets[1].Subject != "t1" {
			t.Fatalf("recent tickets = %+v, %v", tickets, err)
		}

		// Deleting the company unsets it on contacts and tickets.
		if err := s.Companies.Delete(ctx, co.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Contacts.ByID(ctx, a.ID); got.CompanyID != nil {
			t.Fatalf("contact still has the deleted company: %+v", got)
		}
		var withCompany int64
		db.Gorm.Table("tickets").Where("company_id IS NOT NULL").Count(&withCompany)
		if withCompany != 0 {
			t.Fatalf("%d tickets keep the deleted company", withCompany)
		}
		if err := s.Companies.Delete(ctx, co.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if err := s.Contacts.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		var orphans int64
		db.Gorm.Table("tickets").Where("contact_id IS NULL").Count(&orphans)
		if orphans != 3 {
			t.Fatalf("tickets without contact = %d, want 3", orphans)
		}
	})
}

func TestCompanySearchCountsContactsInOneQuery(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		var cos []models.Company
		for i := range 5 {
			cos = append(cos, mkCompany(t, s, fmt.Sprintf("co%d", i), fmt.Sprintf("co%d.test", i)))
		}
		for i := range 4 {
			mkContact(t, s, fmt.Sprintf("c%d@example.com", i), "c", &cos[i%2].ID, "", nil)
		}
		p1, err := s.Companies.Search(ctx, models.CompanyQuery{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(p1.Rows) != 2 || p1.Rows[0].Name != "co0" || p1.Rows[0].Contacts != 2 || p1.Rows[1].Contacts != 2 || p1.NextCursor == "" || p1.PrevCursor != "" {
			t.Fatalf("page 1 = %+v", p1)
		}
		p2, _ := s.Companies.Search(ctx, models.CompanyQuery{Limit: 2, After: p1.NextCursor})
		p3, _ := s.Companies.Search(ctx, models.CompanyQuery{Limit: 2, After: p2.NextCursor})
		if len(p3.Rows) != 1 || p3.Rows[0].Name != "co4" || p3.Rows[0].Contacts != 0 || p3.NextCursor != "" {
			t.Fatalf("page 3 = %+v", p3)
		}
		back, _ := s.Companies.Search(ctx, models.CompanyQuery{Limit: 2, Before: p3.PrevCursor})
		if len(back.Rows) != 2 || back.Rows[0].Name != "co2" || back.PrevCursor == "" {
			t.Fatalf("back = %+v", back)
		}
		found, _ := s.Companies.Search(ctx, models.CompanyQuery{Search: "CO3.TEST"})
		if len(found.Rows) != 1 || found.Rows[0].ID != cos[3].ID {
			t.Fatalf("search = %+v", found)
		}
		byName, err := s.Companies.ByNames(ctx, []string{"CO1", "nope"})
		if err != nil || len(byName) != 1 || byName["co1"].ID != cos[1].ID {
			t.Fatalf("ByNames = %+v, %v", byName, err)
		}
	})
}

func TestContactUpsertBatch(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		old := mkContact(t, s, "old@example.com", "Old", nil, "en", models.Props{"a": "1"})
		if err := s.Contacts.SetPassword(ctx, old.ID, "hash", time.Now()); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		rows := []models.Contact{
			{Email: "Old@Example.com", Name: "Renamed", Language: "pt-BR", Active: true, Properties: models.Props{"a": "1", "b": "2"}, CreatedAt: now, UpdatedAt: now},
			{Email: "new@example.com", Name: "New", Active: true, CreatedAt: now, UpdatedAt: now},
		}
		if err := s.Contacts.Upsert(ctx, rows); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Contacts.ByEmail(ctx, "old@example.com")
		if got.ID != old.ID || got.Name != "Renamed" || got.Language != "pt-BR" || got.Properties["b"] != "2" || got.PasswordHash != "hash" {
			t.Fatalf("updated = %+v", got)
		}
		found, err := s.Contacts.ByEmails(ctx, []string{"old@example.com", "new@example.com", "none@example.com"})
		if err != nil || len(found) != 2 {
			t.Fatalf("ByEmails = %+v, %v", found, err)
		}
		cos := []models.Company{{Name: "One"}, {Name: "Two"}}
		if err := s.Companies.CreateMany(ctx, cos); err != nil || cos[0].ID == 0 || cos[1].ID == 0 || cos[0].ID == cos[1].ID {
			t.Fatalf("CreateMany = %+v, %v", cos, err)
		}
	})
}

// TestActiveListRules evaluates every field and operator of active lists on both engines, and
// shows that InList, MembersOf, Lists, ListsOf and Search agree.
func TestActiveListRules(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		acme := mkCompany(t, s, "ACME Corp", "acme.test")
		ana := mkContact(t, s, "ana@acme.test", "Ana Lima", &acme.ID, "pt-BR", models.Props{"plan": "Gold", "tier": "1"})
		bob := mkContact(t, s, "bob@example.com", "Bob Stone", nil, "en", models.Props{"plan": "silver"})
		cy := mkContact(t, s, "cy@sub.acme.test", "Cy", &acme.ID, "", nil)
		all := []models.Contact{ana, bob, cy}

		cond := func(field, key, op string, values ...string) models.ListCondition {
			return models.ListCondition{Field: field, Key: key, Op: op, Values: values}
		}
		cases := []struct {
			name  string
			conds []models.ListCondition
			want  []int64
		}{
			{"no conditions match nobody", nil, nil},
			{"domain is", []models.ListCondition{cond(models.RuleEmailDomain, "", models.OpIs, "ACME.test")}, []int64{ana.ID}},
			{"domain contains", []models.ListCondition{cond(models.RuleEmailDomain, "", models.OpContains, "acme")}, []int64{ana.ID, cy.ID}},
			{"domain is not", []models.ListCondition{cond(models.RuleEmailDomain, "", models.OpIsNot, "acme.test")}, []int64{bob.ID, cy.ID}},
			{"company is", []models.ListCondition{cond(models.RuleCompany, "", models.OpIs, "acme corp")}, []int64{ana.ID, cy.ID}},
			{"company is not (no company counts)", []models.ListCondition{cond(models.RuleCompany, "", models.OpIsNot, "ACME Corp")}, []int64{bob.ID}},
			{"language any of", []models.ListCondition{cond(models.RuleLanguage, "", models.OpAnyOf, "en", "pt-br")}, []int64{ana.ID, bob.ID}},
			{"name contains", []models.ListCondition{cond(models.RuleName, "", models.OpContains, "STONE")}, []int64{bob.ID}},
			{"property is", []models.ListCondition{cond(models.RuleProperty, "plan", models.OpIs, "gold")}, []int64{ana.ID}},
			{"property is not (missing counts)", []models.ListCondition{cond(models.RuleProperty, "plan", models.OpIsNot, "gold")}, []int64{bob.ID, cy.ID}},
			{"ANDed", []models.ListCondition{cond(models.RuleCompany, "", models.OpIs, "ACME Corp"), cond(models.RuleProperty, "tier", models.OpIs, "1")}, []int64{ana.ID}},
			{"injection in a value stays a value", []models.ListCondition{cond(models.RuleName, "", models.OpIs, "' OR 1=1--")}, nil},
			{"wildcards in contains are literal", []models.ListCondition{cond(models.RuleName, "", models.OpContains, "%")}, nil},
		}
		for i, tc := range cases {
			l := models.ContactList{Name: fmt.Sprintf("rule %d", i), Kind: models.ListActive, Rule: models.ListRule{Conditions: tc.conds}.Props()}
			if err := s.Contacts.CreateList(ctx, &l); err != nil {
				t.Fatal(err)
			}
			members, err := s.Contacts.MembersOf(ctx, []int64{l.ID})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []int64
			for _, m := range members {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: members %v, want %v", tc.name, got, tc.want)
			}
			for _, c := range all {
				in, err := s.Contacts.InList(ctx, l.ID, c.ID)
				if err != nil || in != slices.Contains(tc.want, c.ID) {
					t.Errorf("%s: InList(%s) = %v, %v", tc.name, c.Email, in, err)
				}
			}
			page, err := s.Contacts.Search(ctx, models.ContactQuery{List: &l})
			if err != nil || len(page.Rows) != len(tc.want) {
				t.Errorf("%s: Search in list = %v, %v", tc.name, emailsOf(page.Rows), err)
			}
		}

		// A static list and an active one together: each member once.
		static := models.ContactList{Name: "chosen", Kind: models.ListStatic}
		if err := s.Contacts.CreateList(ctx, &static); err != nil {
			t.Fatal(err)
		}
		if err := s.Contacts.AddToList(ctx, static.ID, []int64{ana.ID, bob.ID}, time.Now()); err != nil {
			t.Fatal(err)
		}
		byDomain := models.ContactList{Name: "acme people", Kind: models.ListActive,
			Rule: models.ListRule{Conditions: []models.ListCondition{cond(models.RuleEmailDomain, "", models.OpContains, "acme")}}.Props()}
		if err := s.Contacts.CreateList(ctx, &byDomain); err != nil {
			t.Fatal(err)
		}
		members, err := s.Contacts.MembersOf(ctx, []int64{static.ID, byDomain.ID})
		if err != nil || len(members) != 3 {
			t.Fatalf("members of both = %+v, %v", members, err)
		}
		sums, err := s.Contacts.Lists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int64{}
		for _, l := range sums {
			counts[l.Name] = l.Members
		}
		if counts["chosen"] != 2 || counts["acme people"] != 2 || counts["rule 0"] != 0 || counts["rule 1"] != 1 {
			t.Fatalf("list counts = %v", counts)
		}
		of, err := s.Contacts.ListsOf(ctx, cy.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range of {
			names = append(names, l.Name)
		}
		if !slices.Contains(names, "acme people") || slices.Contains(names, "chosen") {
			t.Fatalf("lists of cy = %v", names)
		}
		if err := s.Contacts.RemoveFromList(ctx, static.ID, []int64{bob.ID}); err != nil {
			t.Fatal(err)
		}
		if in, _ := s.Contacts.InList(ctx, static.ID, bob.ID); in {
			t.Fatal("bob still on the list")
		}
		if in, err := s.Contacts.InList(ctx, 99999, bob.ID); in || err != nil {
			t.Fatalf("unknown list: %v, %v", in, err)
		}
	})
}

// TestListRuleRefusesInjection: fields, operators and keys come from allowlists, so a hostile
// rule is refused before any SQL is built, and a stored one that no longer validates matches
// nobody (SECURITY INJ-01).
func TestListRuleRefusesInjection(t *testing.T) {
	bad := []models.ListCondition{
		{Field: "email; DROP TABLE contacts", Op: models.OpIs, Values: []string{"x"}},
		{Field: models.RuleProperty, Key: "plan') OR 1=1--", Op: models.OpIs, Values: []string{"x"}},
		{Field: models.RuleProperty, Key: `a"."b`, Op: models.OpIs, Values: []string{"x"}},
		{Field: models.RuleProperty, Key: "", Op: models.OpIs, Values: []string{"x"}},
		{Field: models.RuleName, Op: "= 1 OR 1=1 --", Values: []string{"x"}},
		{Field: models.RuleName, Op: models.OpIs, Values: []string{"a", "b"}},
		{Field: models.RuleName, Op: models.OpAnyOf, Values: nil},
		{Field: models.RuleName, Op: models.OpIs, Values: []string{" "}},
		{Field: models.RuleName, Key: "k", Op: models.OpIs, Values: []string{"x"}},
	}
	for _, c := range bad {
		var ve *models.ValidationError
		if err := c.Validate(); !errors.As(err, &ve) || ve.Field != "rule" {
			t.Errorf("%+v: Validate = %v, want a rule error", c, err)
		}
	}
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		c := mkContact(t, s, "a@example.com", "A", nil, "", models.Props{"plan": "x"})
		// Written past the validation (as a tampered row would be): it matches nobody.
		l := models.ContactList{Name: "tampered", Kind: models.ListActive,
			Rule: models.Props{"conditions": `[{"field":"property","key":"plan') OR 1=1--","op":"is","values":["x"]}]`}}
		if err := s.Contacts.CreateList(ctx, &l); err != nil {
			t.Fatal(err)
		}
		if in, err := s.Contacts.InList(ctx, l.ID, c.ID); in || err != nil {
			t.Fatalf("tampered rule: %v, %v", in, err)
		}
		// A hostile value on a valid key is bound: no match, no error, the table intact.
		ok := models.ContactList{Name: "hostile value", Kind: models.ListActive, Rule: models.ListRule{Conditions: []models.ListCondition{
			{Field: models.RuleProperty, Key: "plan", Op: models.OpAnyOf, Values: []string{"x') OR 1=1; DROP TABLE contacts;--", "y"}},
			{Field: models.RuleProperty, Key: "plan", Op: models.OpContains, Values: []string{"'||pg_sleep(5)||'"}},
		}}.Props()}
		if err := s.Contacts.CreateList(ctx, &ok); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if in, err := s.Contacts.InList(ctx, ok.ID, c.ID); in || err != nil {
			t.Fatalf("hostile value: %v, %v", in, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("hostile value took %s", d)
		}
		if got, err := s.Contacts.ByID(ctx, c.ID); err != nil || got.Email != "a@example.com" {
			t.Fatalf("contacts table after the attempt: %+v, %v", got, err)
		}
	})
}
