package models

// Knowledge-base search (SPEC K-1, SECURITY INJ-01): one interface, one implementation per
// engine. User input never reaches either engine's query syntax: it is cut into plain words
// (letters and digits only) first, and each engine gets those words in a form that can only mean
// "these words": quoted FTS5 strings on SQLite, websearch_to_tsquery over plain words on
// PostgreSQL. Values are always bound.

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search input limits.
const (
	KBQueryMax     = 200 // characters of a search query considered
	kbTermsMax     = 10  // words of a query considered
	kbTermRunesMax = 50  // characters of one word considered
)

// KBSearchHit is one published article found by a search.
type KBSearchHit struct {
	ID           int64
	Slug         string
	Title        string
	Body         string
	CategorySlug string
	CategoryName string
	UpdatedAt    time.Time
}

// KBSearchQuery is what to look for: the words all have to occur (in the title or the body).
// With Prefix, the last word also matches longer words ("pass" finds "password"), for
// suggestions while someone is typing.
type KBSearchQuery struct {
	Terms  []string
	Prefix bool
	Limit  int
	Offset int
}

// KBSearcher finds published knowledge-base articles, title matches first. Total counts every
// match, not only the page returned.
type KBSearcher interface {
	Search(ctx context.Context, q KBSearchQuery) (hits []KBSearchHit, total int64, err error)
}

// SearchTerms cuts a query into the words a search looks for: lower-cased runs of letters and
// digits, each once, at most kbTermsMax of them, from the first KBQueryMax characters. Every
// other character (quotes, *, %, _, -, :, parentheses) separates words and is otherwise
// ignored, so "OR", "NEAR" or "title:" are just words. An empty result means "no search".
func SearchTerms(q string) []string {
	q = strings.ToValidUTF8(q, " ")
	if utf8.RuneCountInString(q) > KBQueryMax {
		q = string([]rune(q)[:KBQueryMax])
	}
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		if r := []rune(w); len(r) > kbTermRunesMax {
			w = string(r[:kbTermRunesMax])
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == kbTermsMax {
			break
		}
	}
	return out
}

// Search returns the searcher for the store's engine.
func (s *KBStore) Search(ctx context.Context, q KBSearchQuery) ([]KBSearchHit, int64, error) {
	return s.searcher().Search(ctx, q)
}

func (s *KBStore) searcher() KBSearcher {
	if s.db.Dialect == Postgres {
		return pgKBSearch{db: s.db}
	}
	return sqliteKBSearch{db: s.db}
}

const kbHitColumns = `a.id, a.slug, a.title, a.body, a.updated_at, c.slug AS category_slug, c.name AS category_name`

// sqliteKBSearch searches the FTS5 table kb_articles_fts.
type sqliteKBSearch struct{ db *DB }

// ftsQuote makes one FTS5 string: the word in double quotes, any double quote doubled. Terms
// from SearchTerms hold no quotes; the quoting is what keeps FTS5 syntax out regardless.
func ftsQuote(term string) string { return `"` + strings.ReplaceAll(term, `"`, `""`) + `"` }

// ftsMatch builds the MATCH expression: every word, quoted, implicitly ANDed.
func ftsMatch(q KBSearchQuery) string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = ftsQuote(t)
		if q.Prefix && i == len(q.Terms)-1 {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}

// Search implements KBSearcher. Articles with every word in the title come first, then by bm25
// with the title weighted ten times the body.
func (s sqliteKBSearch) Search(ctx context.Context, q KBSearchQuery) ([]KBSearchHit, int64, error) {
	if len(q.Terms) == 0 {
		return nil, 0, nil
	}
	match := ftsMatch(q)
	g := s.db.Gorm.WithContext(ctx)
	var total int64
	err := g.Raw(`SELECT count(*) FROM kb_articles_fts f JOIN kb_articles a ON a.id = f.rowid
WHERE kb_articles_fts MATCH ? AND a.status = 'published'`, match).Scan(&total).Error
	if err != nil || total == 0 {
		return nil, 0, mapErr("kb search count", err)
	}
	var hits []KBSearchHit
	err = g.Raw(`SELECT `+kbHitColumns+` FROM kb_articles_fts f
JOIN kb_articles a ON a.id = f.rowid JOIN kb_categories c ON c.id = a.category_id
WHERE kb_articles_fts MATCH ? AND a.status = 'published'
ORDER BY CASE WHEN a.id IN (SELECT rowid FROM kb_articles_fts WHERE kb_articles_fts MATCH ?) THEN 0 ELSE 1 END,
    bm25(kb_articles_fts, 10.0, 1.0), a.id
LIMIT ? OFFSET ?`, match, "title : ("+match+")", limitOf(q.Limit), max(q.Offset, 0)).Scan(&hits).Error
	return hits, total, mapErr("kb search", err)
}

// pgKBSearch searches the generated tsvector column kb_articles.search.
type pgKBSearch struct{ db *DB }

// tsQuery returns the SQL for the tsquery and its argument. Plain words go through
// websearch_to_tsquery, which never fails on any input, each in double quotes; for a prefix search the words are
// single-quoted lexemes (they hold only letters and digits) with :* on the last.
func tsQuery(q KBSearchQuery) (string, string) {
	if !q.Prefix {
		quoted := make([]string, len(q.Terms))
		for i, t := range q.Terms {
			quoted[i] = `"` + t + `"` // quoted, so "or" is a word and not the operator
		}
		return `websearch_to_tsquery('simple', ?)`, strings.Join(quoted, " ")
	}
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = "'" + strings.ReplaceAll(t, "'", "''") + "'"
		if i == len(q.Terms)-1 {
			parts[i] += ":*"
		}
	}
	return `to_tsquery('simple', ?)`, strings.Join(parts, " & ")
}

// Search implements KBSearcher. Articles with every word in the title come first, then by
// ts_rank over the weighted vector (title A, body B).
func (s pgKBSearch) Search(ctx context.Context, q KBSearchQuery) ([]KBSearchHit, int64, error) {
	if len(q.Terms) == 0 {
		return nil, 0, nil
	}
	tsq, arg := tsQuery(q)
	g := s.db.Gorm.WithContext(ctx)
	var total int64
	err := g.Raw(`SELECT count(*) FROM kb_articles a, `+tsq+` q
WHERE a.search @@ q AND a.status = 'published'`, arg).Scan(&total).Error
	if err != nil || total == 0 {
		return nil, 0, mapErr("kb search count", err)
	}
	var hits []KBSearchHit
	err = g.Raw(`SELECT `+kbHitColumns+` FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id, `+tsq+` q
WHERE a.search @@ q AND a.status = 'published'
ORDER BY (to_tsvector('simple', a.title) @@ q) DESC, ts_rank(a.search, q) DESC, a.id
LIMIT ? OFFSET ?`, arg, limitOf(q.Limit), max(q.Offset, 0)).Scan(&hits).Error
	return hits, total, mapErr("kb search", err)
}

// limitOf bounds a page size to 1…100, 20 when unset.
func limitOf(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	}
	return n
}
