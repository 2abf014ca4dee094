package handlers

// The public knowledge base (SPEC K-1, K-2, K-5): categories, articles rendered from Markdown and
// sanitised, search, "Was this helpful?" and search-before-submit suggestions. Pages use the
// portal's area, so they carry its branding and header. Drafts exist only for admins: everyone
// else gets the same 404 as for an article that does not exist.

import (
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// Page sizes of the public knowledge base.
const (
	kbPerPage      = 20
	kbSuggestLimit = 5
	kbExcerptRunes = 200
)

// kbNav is the knowledge base's own navigation: the search box and the way back to the
// portal, shown unless the admin turned it off (PortalSettings.KBShowPortalLink, SPEC K-2).
type kbNav struct {
	Query      string // the search box's value
	ShowPortal bool
	PortalURL  string
	PortalName string
}

// kbPager is the previous/next navigation of a paginated list.
type kbPager struct {
	Page, Pages int
	Prev, Next  string // empty when there is no such page
}

// kbArticleItem is one article in a category listing or suggestion list.
type kbArticleItem struct {
	Title, URL, Excerpt string
	Updated             time.Time
}

// kbHomePage is the view model of the knowledge base's front page.
type kbHomePage struct {
	Base
	KB         kbNav
	Categories []models.KBCategorySummary
}

// kbCategoryPage is the view model of one category's article list.
type kbCategoryPage struct {
	Base
	KB       kbNav
	Category models.KBCategory
	Articles []kbArticleItem
	Pager    kbPager
}

// kbArticlePage is the view model of one article; its feedback box is partials/kb/feedback.
type kbArticlePage struct {
	Base
	KB             kbNav
	Category       models.KBCategory
	Article        models.KBArticle
	Body           template.HTML // rendered and sanitised
	Draft          bool          // an admin previewing an unpublished article
	FeedbackAction string        // empty for drafts: nobody votes on those
	FeedbackDone   bool
}

// kbFeedbackFragment is what htmx swaps in after a vote.
type kbFeedbackFragment struct {
	Base
	FeedbackAction string
	FeedbackDone   bool
}

// kbSearchPage is the view model of the search results.
type kbSearchPage struct {
	Base
	KB     kbNav
	Query  string
	Result app.KBSearchResult
	Pager  kbPager
}

// kbSuggestPage is the view model of the suggestions fragment (and its bare page).
type kbSuggestPage struct {
	Base
	KB    kbNav
	Query string
	Hits  []app.KBHit
}

// kbBase builds the common part of knowledge-base pages.
func (h *Handler) kbBase(c *fiber.Ctx, titleKey string) (Base, kbNav) {
	b := h.base(c, titleKey, "portal")
	p := h.portal(c)
	return b, kbNav{ShowPortal: p.KBShowPortalLink, PortalURL: h.portalURL(c, "/"), PortalName: p.Title}
}

// kbArticleURL is the public address of an article.
func kbArticleURL(category, article string) string { return "/kb/" + category + "/" + article }

// pageParam reads ?page=, 1 when absent or not a positive number.
func pageParam(c *fiber.Ctx) int {
	p, err := strconv.Atoi(c.Query("page"))
	if err != nil || p < 1 || p > 10000 {
		return 1
	}
	return p
}

// newPager builds previous/next links to base with the page number appended.
func newPager(base string, page int, total int64, per int) kbPager {
	pages := int((total + int64(per) - 1) / int64(per))
	p := kbPager{Page: page, Pages: max(pages, 1)}
	if page > 1 {
		p.Prev = base + strconv.Itoa(page-1)
	}
	if page < pages {
		p.Next = base + strconv.Itoa(page+1)
	}
	return p
}

// showKBHome lists the categories with their published article counts.
func (h *Handler) showKBHome(c *fiber.Ctx) error {
	cats, err := h.app.Stores.KB.CategoriesWithCounts(c.UserContext(), true)
	if err != nil {
		return err
	}
	b, nav := h.kbBase(c, "kb.title")
	return h.render(c, fiber.StatusOK, "pages/kb/home", kbHomePage{Base: b, KB: nav, Categories: cats})
}

// showKBCategory lists one page of a category's published articles.
func (h *Handler) showKBCategory(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cat, err := h.app.Stores.KB.CategoryBySlug(ctx, c.Params("category"))
	if err != nil {
		return err
	}
	page := pageParam(c)
	arts, total, err := h.app.Stores.KB.PublishedInCategory(ctx, cat.ID, kbPerPage, (page-1)*kbPerPage)
	if err != nil {
		return err
	}
	b, nav := h.kbBase(c, "kb.title")
	vm := kbCategoryPage{Base: b, KB: nav, Category: cat, Pager: newPager("/kb/"+cat.Slug+"?page=", page, total, kbPerPage)}
	vm.Title = cat.Name
	for _, a := range arts {
		vm.Articles = append(vm.Articles, kbArticleItem{Title: a.Title, URL: kbArticleURL(cat.Slug, a.Slug),
			Excerpt: app.Excerpt(a.Body, kbExcerptRunes), Updated: a.UpdatedAt})
	}
	return h.render(c, fiber.StatusOK, "pages/kb/category", vm)
}

// kbArticle finds the article a URL names, drafts only for admins.
func (h *Handler) kbArticle(c *fiber.Ctx) (models.KBCategory, models.KBArticle, error) {
	ctx := c.UserContext()
	cat, err := h.app.Stores.KB.CategoryBySlug(ctx, c.Params("category"))
	if err != nil {
		return cat, models.KBArticle{}, err
	}
	art, err := h.app.Stores.KB.ArticleInCategory(ctx, cat.ID, c.Params("article"))
	if err == nil && !art.IsPublished() && !h.viewer(c).IsAdmin() {
		err = models.ErrNotFound
	}
	return cat, art, err
}

// showKBArticle renders one article; an admin sees a draft with a "Draft" badge.
func (h *Handler) showKBArticle(c *fiber.Ctx) error {
	cat, art, err := h.kbArticle(c)
	if err != nil {
		return err
	}
	b, nav := h.kbBase(c, "kb.title")
	vm := kbArticlePage{Base: b, KB: nav, Category: cat, Article: art, Body: app.RenderMarkdown(art.Body), Draft: !art.IsPublished()}
	vm.Title = art.Title
	if art.IsPublished() {
		vm.FeedbackAction = kbArticleURL(cat.Slug, art.Slug) + "/feedback"
	}
	return h.render(c, fiber.StatusOK, "pages/kb/article", vm)
}

// submitKBFeedback counts a "Was this helpful?" vote, once per visitor and article a day
// (app.KBFeedback); a repeated vote is thanked all the same. htmx gets the thank-you fragment,
// a plain form post a redirect back with a flash.
func (h *Handler) submitKBFeedback(c *fiber.Ctx) error {
	cat, art, err := h.kbArticle(c)
	if err != nil {
		return err
	}
	helpful := c.FormValue("helpful")
	if helpful != "yes" && helpful != "no" {
		return fiber.ErrBadRequest
	}
	if _, err := h.app.KBFeedback(c.UserContext(), art.ID, helpful == "yes", h.clientIP(c)); err != nil {
		return err
	}
	if isFragment(c) {
		return h.render(c, fiber.StatusOK, "partials/kb/feedback", kbFeedbackFragment{Base: h.base(c, "kb.title", "portal"), FeedbackDone: true})
	}
	h.setFlash(c, "info", "flash.kb_feedback_thanks")
	return redirect(c, kbArticleURL(cat.Slug, art.Slug))
}

// showKBSearch shows one page of search results; an empty query shows none.
func (h *Handler) showKBSearch(c *fiber.Ctx) error {
	q := c.Query("q")
	page := pageParam(c)
	res, err := h.app.SearchKB(c.UserContext(), q, kbPerPage, (page-1)*kbPerPage, false)
	if err != nil {
		return err
	}
	b, nav := h.kbBase(c, "kb.search.title")
	nav.Query = q
	vm := kbSearchPage{Base: b, KB: nav, Query: q, Result: res,
		Pager: newPager("/kb/search?q="+url.QueryEscape(q)+"&page=", page, res.Total, kbPerPage)}
	return h.render(c, fiber.StatusOK, "pages/kb/search", vm)
}

// showKBSuggestions answers the support form's hx-get as the subject is typed: up to five
// published articles matching the words so far (the last one as a prefix). Without htmx it is
// a small page with the same list.
func (h *Handler) showKBSuggestions(c *fiber.Ctx) error {
	q := c.Query("q")
	if q == "" {
		q = c.Query("subject") // the support form's field name, sent as is by hx-include
	}
	res, err := h.app.SearchKB(c.UserContext(), q, kbSuggestLimit, 0, true)
	if err != nil {
		return err
	}
	b, nav := h.kbBase(c, "kb.suggest.title")
	nav.Query = q
	return h.page(c, fiber.StatusOK, "pages/kb/suggest", "partials/kb/suggestions", kbSuggestPage{Base: b, KB: nav, Query: q, Hits: res.Hits})
}
