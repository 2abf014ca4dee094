package app

// Knowledge-base operations (SPEC K-1, K-3, K-5): search with highlighted snippets, the
// editor's validated saves, and "Was this helpful?" votes counted once per visitor.

import (
	"context"
	"errors"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"portico/models"
)

// Editor limits.
const (
	KBTitleMax       = 200  // characters of an article title or category name
	KBDescriptionMax = 1000 // characters of a category description
	kbSnippetRunes   = 180  // characters of a search snippet
	kbFeedbackWindow = 24 * time.Hour
)

// kbSlug is the shape of category and article slugs.
var kbSlug = regexp.MustCompile(`^[a-z0-9-]{1,60}$`)

// KBHit is one search result ready to show: the article and a snippet of its text with the
// searched words marked.
type KBHit struct {
	models.KBSearchHit
	Snippet template.HTML
}

// KBSearchResult is one page of search results.
type KBSearchResult struct {
	Terms []string
	Hits  []KBHit
	Total int64
}

// SearchKB searches published articles for the words of q; an empty query finds nothing. With
// prefix the last word matches longer words too (suggestions while typing).
func (a *App) SearchKB(ctx context.Context, q string, limit, offset int, prefix bool) (KBSearchResult, error) {
	terms := models.SearchTerms(q)
	res := KBSearchResult{Terms: terms}
	if len(terms) == 0 {
		return res, nil
	}
	hits, total, err := a.Stores.KB.Search(ctx, models.KBSearchQuery{Terms: terms, Prefix: prefix, Limit: limit, Offset: offset})
	if err != nil {
		return res, err
	}
	res.Total = total
	for _, h := range hits {
		res.Hits = append(res.Hits, KBHit{KBSearchHit: h, Snippet: Highlight(PlainText(h.Body), terms, kbSnippetRunes)})
		res.Hits[len(res.Hits)-1].Body = "" // the page needs the snippet only
	}
	return res, nil
}

var (
	mdLink   = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdMarks  = regexp.MustCompile("[#*_`>|~]+")
	mdSpaces = regexp.MustCompile(`\s+`)
)

// PlainText reduces Markdown to readable text for excerpts and snippets: link and image
// targets dropped (their text kept), emphasis, heading and quote marks removed, white space
// collapsed. It is text, not HTML: templates escape it.
func PlainText(md string) string {
	md = mdLink.ReplaceAllString(md, "$1")
	md = mdMarks.ReplaceAllString(md, " ")
	return strings.TrimSpace(mdSpaces.ReplaceAllString(md, " "))
}

// Excerpt is the first characters of an article's text, cut at a word.
func Excerpt(md string, n int) string {
	t := PlainText(md)
	if utf8.RuneCountInString(t) <= n {
		return t
	}
	r := []rune(t)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// Highlight cuts about n characters of text around the first searched word and marks every
// word that starts with a term with <mark>. Everything else is escaped: the only markup in the
// result is the <mark> elements it adds itself.
func Highlight(text string, terms []string, n int) template.HTML {
	runes := []rune(text)
	lower := make([]rune, len(runes))
	for i, r := range runes {
		lower[i] = unicode.ToLower(r) // rune by rune, so indexes stay aligned
	}
	type span struct{ from, to int }
	var marks []span
	for i := 0; i < len(lower); i++ {
		if i > 0 && isWordRune(lower[i-1]) || !isWordRune(lower[i]) {
			continue
		}
		best := 0
		for _, t := range terms {
			tr := []rune(t)
			if len(tr) > best && i+len(tr) <= len(lower) && string(lower[i:i+len(tr)]) == t {
				best = len(tr)
			}
		}
		if best > 0 {
			marks = append(marks, span{i, i + best})
			i += best - 1
		}
	}
	start := 0
	if len(marks) > 0 && marks[0].from > n/3 {
		start = marks[0].from - n/3
		for start > 0 && isWordRune(runes[start-1]) { // start at a word
			start--
		}
	}
	end := min(len(runes), start+n)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for _, m := range marks {
		if m.from < start || m.from >= end {
			continue
		}
		to := min(m.to, end)
		b.WriteString(template.HTMLEscapeString(string(runes[pos:m.from])))
		b.WriteString("<mark>" + template.HTMLEscapeString(string(runes[m.from:to])) + "</mark>")
		pos = to
	}
	b.WriteString(template.HTMLEscapeString(string(runes[pos:end])))
	if end < len(runes) {
		b.WriteString("…")
	}
	return template.HTML(b.String()) //nolint:gosec // every piece of text above is escaped
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// KBCategoryInput is what the editor may set on a category.
type KBCategoryInput struct {
	Slug, Name, Description string
	Position                int
}

// SaveKBCategory creates (id 0) or updates a category. Bad input and a taken slug come back
// as *models.ValidationError on the field.
func (a *App) SaveKBCategory(ctx context.Context, id int64, in KBCategoryInput) (models.KBCategory, error) {
	c := models.KBCategory{ID: id, Slug: strings.ToLower(strings.TrimSpace(in.Slug)),
		Name: cleanLabel(in.Name), Description: strings.TrimSpace(in.Description), Position: in.Position}
	switch {
	case c.Name == "":
		return c, models.Invalid("name", "kb.error.name_required")
	case utf8.RuneCountInString(c.Name) > KBTitleMax:
		return c, models.Invalid("name", "kb.error.too_long")
	case !kbSlug.MatchString(c.Slug):
		return c, models.Invalid("slug", "kb.error.slug_invalid")
	case utf8.RuneCountInString(c.Description) > KBDescriptionMax:
		return c, models.Invalid("description", "kb.error.too_long")
	}
	var err error
	if id == 0 {
		err = a.Stores.KB.CreateCategory(ctx, &c)
	} else {
		err = a.Stores.KB.UpdateCategory(ctx, &c)
	}
	if errors.Is(err, models.ErrConflict) {
		return c, models.Invalid("slug", "kb.error.slug_taken")
	}
	return c, err
}

// KBArticleInput is what the editor may set on an article.
type KBArticleInput struct {
	CategoryID        int64
	Slug, Title, Body string
	Status            models.ArticleStatus
}

// SaveKBArticle creates (id 0) or updates an article. published_at is set the first time it is
// published and kept afterwards, also through a return to draft. Bad input and a taken slug come
// back as *models.ValidationError on the field.
func (a *App) SaveKBArticle(ctx context.Context, id int64, in KBArticleInput, author int64) (models.KBArticle, error) {
	art := models.KBArticle{ID: id, CategoryID: in.CategoryID, Slug: strings.ToLower(strings.TrimSpace(in.Slug)),
		Title: cleanLabel(in.Title), Body: strings.ReplaceAll(in.Body, "\r\n", "\n"), Status: in.Status}
	switch {
	case art.Title == "":
		return art, models.Invalid("title", "kb.error.title_required")
	case utf8.RuneCountInString(art.Title) > KBTitleMax:
		return art, models.Invalid("title", "kb.error.too_long")
	case !kbSlug.MatchString(art.Slug):
		return art, models.Invalid("slug", "kb.error.slug_invalid")
	case len(art.Body) > MarkdownMax:
		return art, models.Invalid("body", "kb.error.too_long")
	case art.Status != models.ArticleDraft && art.Status != models.ArticlePublished:
		return art, models.Invalid("status", "kb.error.status_invalid")
	}
	if _, err := a.Stores.KB.CategoryByID(ctx, art.CategoryID); errors.Is(err, models.ErrNotFound) {
		return art, models.Invalid("category", "kb.error.category_required")
	} else if err != nil {
		return art, err
	}
	var err error
	if id == 0 {
		if author != 0 {
			art.AuthorID = &author
		}
		if art.IsPublished() {
			t := a.Now()
			art.PublishedAt = &t
		}
		err = a.Stores.KB.CreateArticle(ctx, &art)
	} else {
		var old models.KBArticle
		if old, err = a.Stores.KB.ArticleByID(ctx, id); err != nil {
			return art, err
		}
		art.PublishedAt, art.AuthorID, art.HelpfulYes, art.HelpfulNo = old.PublishedAt, old.AuthorID, old.HelpfulYes, old.HelpfulNo
		if art.IsPublished() && art.PublishedAt == nil {
			t := a.Now()
			art.PublishedAt = &t
		}
		err = a.Stores.KB.UpdateArticle(ctx, &art)
	}
	if errors.Is(err, models.ErrConflict) {
		return art, models.Invalid("slug", "kb.error.slug_taken")
	}
	return art, err
}

// KBFeedback records one vote on a published article from the visitor at ip. Each visitor
// counts once per article a day: the vote is keyed by article and address in the shared
// rate-limit table, so it holds across instances and needs no cookie the visitor could clear.
// counted is false for a repeated vote, which is acknowledged all the same.
func (a *App) KBFeedback(ctx context.Context, articleID int64, helpful bool, ip string) (counted bool, err error) {
	art, err := a.Stores.KB.ArticleByID(ctx, articleID)
	if err != nil {
		return false, err
	}
	if !art.IsPublished() {
		return false, models.ErrNotFound
	}
	hits, _, err := a.Stores.RateLimits.Hit(ctx, "kb-feedback:"+strconv.FormatInt(articleID, 10)+":"+ip, kbFeedbackWindow, a.Now())
	if err != nil || hits > 1 {
		return false, err
	}
	return true, a.Stores.KB.CountFeedback(ctx, articleID, helpful)
}
