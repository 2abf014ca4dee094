package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

// kbFixture writes one category and the given articles (title, body, published) into s.
func kbFixture(t testing.TB, s *models.Stores, arts ...models.KBArticle) models.KBCategory {
	t.Helper()
	ctx := context.Background()
	cat := models.KBCategory{Slug: "help", Name: "Help"}
	if err := s.KB.CreateCategory(ctx, &cat); err != nil {
		t.Fatal(err)
	}
	for i := range arts {
		arts[i].CategoryID = cat.ID
		if arts[i].Slug == "" {
			arts[i].Slug = fmt.Sprintf("a-%d", i)
		}
		if err := s.KB.CreateArticle(ctx, &arts[i]); err != nil {
			t.Fatal(err)
		}
	}
	return cat
}

func search(t *testing.T, s *models.Stores, q string, prefix bool, limit, offset int) ([]string, int64) {
	t.Helper()
	hits, total, err := s.KB.Search(context.Background(), models.KBSearchQuery{Terms: models.SearchTerms(q), Prefix: prefix, Limit: limit, Offset: offset})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var slugs []string
	for _, h := range hits {
		slugs = append(slugs, h.Slug)
	}
	return slugs, total
}

func TestSearchTerms(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{`Reset "password"`, []string{"reset", "password"}},
		{`a* OR b NEAR(c) title:d %_ '; DROP TABLE x; --`, []string{"a", "or", "b", "near", "c", "title", "d", "drop", "table", "x"}},
		{"Ação ação", []string{"ação"}},
		{"\xff\xfeok", []string{"ok"}},
	}
	for _, c := range cases {
		if got := models.SearchTerms(c.in); !slices.Equal(got, c.want) {
			t.Errorf("SearchTerms(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := ""
	for i := 0; i < 100; i++ {
		long += fmt.Sprintf("w%d ", i)
	}
	if n := len(models.SearchTerms(long)); n != 10 {
		t.Errorf("terms from a long query: %d, want 10", n)
	}
}

func TestKBSearch(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		kbFixture(t, s,
			models.KBArticle{Slug: "body-match", Title: "Account basics", Body: "To change your password, open settings. Password rules apply.", Status: models.ArticlePublished},
			models.KBArticle{Slug: "title-match", Title: "Reset your password", Body: "Click the link in the e-mail.", Status: models.ArticlePublished},
			models.KBArticle{Slug: "draft", Title: "Password secrets", Body: "password password", Status: models.ArticleDraft},
			models.KBArticle{Slug: "invoices", Title: "Invoices", Body: "Download invoices as PDF from billing.", Status: models.ArticlePublished},
		)

		got, total := search(t, s, "password", false, 10, 0)
		if !slices.Equal(got, []string{"title-match", "body-match"}) || total != 2 {
			t.Fatalf("password: %v (%d), want title match first, no draft", got, total)
		}
		if got, _ := search(t, s, "PDF billing", false, 10, 0); !slices.Equal(got, []string{"invoices"}) {
			t.Fatalf("body words: %v", got)
		}
		if got, _ := search(t, s, "invoices unicorn", false, 10, 0); len(got) != 0 {
			t.Fatalf("all words must match: %v", got)
		}
		if got, _ := search(t, s, "passw", true, 10, 0); len(got) != 2 {
			t.Fatalf("prefix: %v", got)
		}
		if got, _ := search(t, s, "passw", false, 10, 0); len(got) != 0 {
			t.Fatalf("no prefix without Prefix: %v", got)
		}
		if got, total := search(t, s, "", false, 10, 0); len(got) != 0 || total != 0 {
			t.Fatalf("empty query found %v", got)
		}
		// Pagination.
		p1, total := search(t, s, "password", false, 1, 0)
		p2, _ := search(t, s, "password", false, 1, 1)
		if total != 2 || !slices.Equal(p1, []string{"title-match"}) || !slices.Equal(p2, []string{"body-match"}) {
			t.Fatalf("pages: %v %v (%d)", p1, p2, total)
		}
		// The index follows edits and deletes.
		a, err := s.KB.ArticleInCategory(ctx, mustCat(t, s).ID, "invoices")
		if err != nil {
			t.Fatal(err)
		}
		a.Title, a.Body = "Receipts", "Download receipts."
		if err := s.KB.UpdateArticle(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if got, _ := search(t, s, "invoices", false, 10, 0); len(got) != 0 {
			t.Fatalf("old words still found: %v", got)
		}
		if got, _ := search(t, s, "receipts", false, 10, 0); !slices.Equal(got, []string{"invoices"}) {
			t.Fatalf("new words not found: %v", got)
		}
		if err := s.KB.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := search(t, s, "receipts", false, 10, 0); len(got) != 0 {
			t.Fatalf("deleted article found: %v", got)
		}
		// Hostile input is only ever words.
		for _, q := range []string{`"`, `""`, `"password`, `*`, `password*`, `OR`, `password OR`, `NEAR(password account)`,
			`%`, `_`, `%password%`, `'`, `\`, `title:password`, `-password`, `password AND NOT x`, `(`, `^password`,
			`'; DROP TABLE kb_articles; --`, `{title}: x`, `a & b | !c`, `x:*`, "\x00", `pass'word`} {
			for _, prefix := range []bool{false, true} {
				if _, _, err := s.KB.Search(ctx, models.KBSearchQuery{Terms: models.SearchTerms(q), Prefix: prefix}); err != nil {
					t.Errorf("query %q (prefix %v): %v", q, prefix, err)
				}
			}
		}
		// Raw terms that did not come through SearchTerms are still quoted, never syntax.
		for _, raw := range [][]string{{`"`}, {`a"b`}, {`OR`}, {`*`}, {`'`}, {`x:*`}} {
			if _, _, err := s.KB.Search(ctx, models.KBSearchQuery{Terms: raw}); err != nil {
				t.Errorf("raw terms %q: %v", raw, err)
			}
		}
	})
}

func mustCat(t *testing.T, s *models.Stores) models.KBCategory {
	t.Helper()
	c, err := s.KB.CategoryBySlug(context.Background(), "help")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKBStoreEditing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		cat := kbFixture(t, s,
			models.KBArticle{Slug: "one", Title: "One", Body: "x", Status: models.ArticlePublished},
			models.KBArticle{Slug: "two", Title: "Two", Body: "y"},
		)
		other := models.KBCategory{Slug: "other", Name: "Other"}
		if err := s.KB.CreateCategory(ctx, &other); err != nil {
			t.Fatal(err)
		}
		other.Slug = "help"
		if err := s.KB.UpdateCategory(ctx, &other); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("slug conflict: %v", err)
		}
		cats, err := s.KB.CategoriesWithCounts(ctx, true)
		if err != nil || len(cats) != 2 || cats[0].Articles != 1 || cats[1].Articles != 0 {
			t.Fatalf("categories: %+v %v", cats, err)
		}
		cats, _ = s.KB.CategoriesWithCounts(ctx, false)
		if cats[0].Articles != 2 {
			t.Fatalf("all articles: %+v", cats)
		}
		arts, total, err := s.KB.PublishedInCategory(ctx, cat.ID, 10, 0)
		if err != nil || total != 1 || len(arts) != 1 || arts[0].Slug != "one" {
			t.Fatalf("published: %+v %d %v", arts, total, err)
		}
		one := arts[0]
		before := one.UpdatedAt
		if err := s.KB.CountFeedback(ctx, one.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.KB.CountFeedback(ctx, one.ID, false); err != nil {
			t.Fatal(err)
		}
		got, _ := s.KB.ArticleByID(ctx, one.ID)
		if got.HelpfulYes != 1 || got.HelpfulNo != 1 || !got.UpdatedAt.Equal(before) {
			t.Fatalf("feedback: %+v", got)
		}
		two, _ := s.KB.ArticleInCategory(ctx, cat.ID, "two")
		if err := s.KB.CountFeedback(ctx, two.ID, true); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("feedback on a draft: %v", err)
		}
		rows, err := s.KB.AllArticles(ctx)
		if err != nil || len(rows) != 2 || rows[0].CategorySlug != "help" {
			t.Fatalf("all: %+v %v", rows, err)
		}
		if err := s.KB.DeleteCategory(ctx, cat.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.KB.CountArticles(ctx); n != 0 {
			t.Fatalf("articles left after their category: %d", n)
		}
		if got, _ := search(t, s, "one", false, 10, 0); len(got) != 0 {
			t.Fatalf("search finds an article of a deleted category: %v", got)
		}
		if err := s.KB.DeleteArticle(ctx, 999); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
	})
}

// BenchmarkKBSearch searches 1,000 published articles on each engine.
func BenchmarkKBSearch(b *testing.B) {
	words := []string{"password", "invoice", "account", "billing", "export", "login", "printer", "network",
		"refund", "shipping", "warranty", "update", "install", "license", "backup", "restore"}
	dbtest.BenchEngines(b, func(b *testing.B, db *models.DB) {
		s := models.NewStores(db)
		var arts []models.KBArticle
		for i := 0; i < 1000; i++ {
			w1, w2, w3 := words[i%len(words)], words[(i*7)%len(words)], words[(i*13)%len(words)]
			arts = append(arts, models.KBArticle{Slug: fmt.Sprintf("article-%d", i),
				Title:  fmt.Sprintf("How to %s your %s (%d)", w1, w2, i),
				Body:   fmt.Sprintf("This article explains %s, %s and %s in detail. %s", w1, w2, w3, longText),
				Status: models.ArticlePublished})
		}
		kbFixture(b, s, arts...)
		ctx := context.Background()
		queries := [][]string{{"password"}, {"billing", "refund"}, {"printer", "network", "install"}, {"nothing"}}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			q := models.KBSearchQuery{Terms: queries[i%len(queries)], Limit: 10}
			if _, _, err := s.KB.Search(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const longText = `Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut
labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip
ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat.`
