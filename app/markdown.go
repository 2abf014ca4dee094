package app

// Markdown for knowledge-base articles (SPEC K-1, SECURITY XSS-01/02, STACK "HTML safety"):
// goldmark with GitHub Flavored Markdown renders, without WithUnsafe, so raw HTML in the source
// is dropped by goldmark already; bluemonday then reduces whatever goldmark wrote to a UGC-like
// subset. Both layers hold on their own: a goldmark bug that let HTML through would still meet
// the sanitiser. The source is stored; rendering happens when an article is shown.

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MarkdownMax bounds the Markdown source of one article, in bytes.
const MarkdownMax = 200_000

// linkRel is the rel value every rendered link carries: no ranking credit to links our users
// write, and no window.opener for the page behind them.
const linkRel = "nofollow noopener"

// markdown is the one goldmark instance; goldmark.Markdown is safe for concurrent use and is
// never reconfigured after this.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkRelTransformer{}, 100))),
)

// linkRelTransformer gives every link and autolink rel="nofollow noopener" before rendering.
type linkRelTransformer struct{}

// Transform implements parser.ASTTransformer.
func (linkRelTransformer) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Link, *ast.AutoLink:
			n.SetAttributeString("rel", []byte(linkRel))
		}
		return ast.WalkContinue, nil
	})
}

// safeImageSrc admits image addresses over http(s) and same-origin paths ("/x.png", "x.png"),
// never protocol-relative ("//host"), backslash tricks ("/\host") or other schemes.
var safeImageSrc = regexp.MustCompile(`^(?:[hH][tT][tT][pP][sS]?://[^\s]+|/(?:[^/\\\s][^\s]*)?|[^/\\\s:]+(?:/[^\s]*)?)$`)

// articlePolicy is the HTML policy for rendered articles, after bluemonday's UGC policy: text
// structure, lists, tables, code, quotes and emphasis; no script, style, iframe, form, object,
// embed, base or meta; no on*, style, class (but a code block's language), id (a page's own ids
// stay unclobbered) or data-* attribute, so neither hx-* nor data-hx-* survives, and the page
// wraps the article in hx-disable besides. Links: http, https, mailto or relative, with rel
// "nofollow" forced. Images: http(s) or same-origin paths only. Written out rather than built
// on UGCPolicy because bluemonday adds attribute rules to each other: UGC's unrestricted img
// src could not be narrowed afterwards. Safe for concurrent use; never changed after this.
var articlePolicy = newArticlePolicy()

func newArticlePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[a-zA-Z]{2,20}(?:-[a-zA-Z0-9]{1,8})*$`)).Globally()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AllowElements("article", "aside", "figure", "section", "summary", "hgroup",
		"h1", "h2", "h3", "h4", "h5", "h6", "br", "div", "hr", "p", "span", "wbr",
		"abbr", "acronym", "cite", "code", "dfn", "em", "figcaption", "mark", "s", "samp", "strong",
		"sub", "sup", "var", "b", "i", "pre", "small", "strike", "tt", "u", "del", "ins", "q", "blockquote",
		"rp", "rt", "ruby", "time")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`(?i)^(|open)$`)).OnElements("details")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time", "del", "ins")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow noopener$`)).OnElements("a")
	p.AllowAttrs("src").Matching(safeImageSrc).OnElements("img")
	p.AllowAttrs("alt").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("height", "width").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-zA-Z0-9_+-]{1,30}$`)).OnElements("code")
	return p
}

// SanitizeArticleHTML reduces HTML to the article subset. It is idempotent: sanitising its own
// output changes nothing.
func SanitizeArticleHTML(html string) string {
	html = strings.ToValidUTF8(strings.ReplaceAll(html, "\x00", ""), "\uFFFD")
	return articlePolicy.Sanitize(html)
}

// RenderMarkdown turns article Markdown into sanitised HTML, ready for a template. The source is
// cut at MarkdownMax bytes.
func RenderMarkdown(src string) template.HTML {
	if len(src) > MarkdownMax {
		src = strings.ToValidUTF8(src[:MarkdownMax], "")
	}
	src = strings.ToValidUTF8(strings.ReplaceAll(src, "\x00", ""), "\uFFFD")
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		// goldmark's HTML renderer writes to memory and does not fail; if it ever did, the
		// reader sees the source as escaped text rather than nothing.
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	// The output has passed articlePolicy: the one place a template.HTML is made from an
	// article.
	return template.HTML(SanitizeArticleHTML(buf.String())) //nolint:gosec // sanitised above
}
