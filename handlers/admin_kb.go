package handlers

// The knowledge-base editor (SPEC K-3): categories and articles, drafts and published, with the
// feedback counters (K-5). Forms are structs of their own (STYLE 5): the author, counters and
// publication time are never read from a request. Deleting needs a ticked confirmation box in
// the delete form itself, so it works without JavaScript and a stray click deletes nothing.

import (
	"context"
	"errors"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/app"
	"portico/models"
)

// kbAdminPage is the editor's front page: every category and article.
type kbAdminPage struct {
	Base
	Categories []models.KBCategorySummary
	Articles   []models.KBArticleRow
}

// kbCategoryForm is the category form; only these fields are read.
type kbCategoryForm struct {
	Name        string `form:"name"`
	Slug        string `form:"slug"`
	Description string `form:"description"`
	Position    string `form:"position"` // text, so that "abc" is a field error, not a 400
}

// kbCategoryFormPage is the view model of the category form.
type kbCategoryFormPage struct {
	Base
	ID       int64 // 0 for a new category
	Action   string
	Form     kbCategoryForm
	Articles int64
	Errors   map[string]string
}

// kbArticleForm is the article form; only these fields are read.
type kbArticleForm struct {
	CategoryID string `form:"category_id"`
	Title      string `form:"title"`
	Slug       string `form:"slug"`
	Body       string `form:"body"`
	Status     string `form:"status"`
}

// kbCategoryOption is one category in the article form's select.
type kbCategoryOption struct {
	ID       int64
	Name     string
	Selected bool
}

// kbArticleFormPage is the view model of the article form; an article that exists has a preview
// of its saved body.
type kbArticleFormPage struct {
	Base
	ID         int64
	Action     string
	Form       kbArticleForm
	Categories []kbCategoryOption
	Published  bool
	PublicURL  string        // where the article is (or will be) read
	Preview    template.HTML // the saved body, rendered and sanitised
	HelpfulYes int
	HelpfulNo  int
	Errors     map[string]string
}

// kbFieldErrors turns a validation error into the message shown next to its field (or at the
// top of the form for a field the form does not show); other errors come back.
func kbFieldErrors(b Base, err error, fields ...string) (map[string]string, error) {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return nil, err
	}
	field := ve.Field
	if !slices.Contains(fields, field) {
		field = "form"
	}
	return map[string]string{field: b.T(ve.Code)}, nil
}

// idParam reads a route's numeric :id; anything else is a 404.
func idParam(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

// showAdminKB lists categories and articles with their status and feedback.
func (h *Handler) showAdminKB(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cats, err := h.app.Stores.KB.CategoriesWithCounts(ctx, false)
	if err != nil {
		return err
	}
	arts, err := h.app.Stores.KB.AllArticles(ctx)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/kb", kbAdminPage{Base: h.base(c, "kb.admin.title", "admin"), Categories: cats, Articles: arts})
}

// showKBCategoryForm shows the empty form at /new, else the category's.
func (h *Handler) showKBCategoryForm(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderKBCategoryForm(c, 0, kbCategoryForm{Position: "0"}, nil)
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cat, err := h.app.Stores.KB.CategoryByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	f := kbCategoryForm{Name: cat.Name, Slug: cat.Slug, Description: cat.Description, Position: strconv.Itoa(cat.Position)}
	return h.renderKBCategoryForm(c, id, f, nil)
}

// saveKBCategory creates or updates a category; invalid input shows the form again.
func (h *Handler) saveKBCategory(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		var err error
		if id, err = idParam(c); err != nil {
			return err
		}
		if _, err := h.app.Stores.KB.CategoryByID(c.UserContext(), id); err != nil {
			return err
		}
	}
	var f kbCategoryForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	pos, perr := strconv.Atoi(strings.TrimSpace(f.Position))
	if perr != nil && strings.TrimSpace(f.Position) != "" {
		return h.renderKBCategoryForm(c, id, f, models.Invalid("position", "kb.error.position_invalid"))
	}
	in := app.KBCategoryInput{Slug: f.Slug, Name: f.Name, Description: f.Description, Position: pos}
	if _, err := h.app.SaveKBCategory(c.UserContext(), id, in); err != nil {
		return h.renderKBCategoryForm(c, id, f, err)
	}
	h.setFlash(c, "info", "flash.kb_category_saved")
	return redirect(c, "/admin/kb")
}

func (h *Handler) renderKBCategoryForm(c *fiber.Ctx, id int64, f kbCategoryForm, failed error) error {
	vm := kbCategoryFormPage{Base: h.base(c, "kb.admin.category.title", "admin"), ID: id, Form: f, Action: "/admin/kb/categories/new"}
	if id != 0 {
		vm.Action = "/admin/kb/categories/" + strconv.FormatInt(id, 10)
	}
	var err error
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "name", "slug", "description", "position"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/kb_category", vm)
}

// deleteKBCategory deletes a category and its articles once the confirmation box is ticked.
func (h *Handler) deleteKBCategory(c *fiber.Ctx) error {
	return h.deleteConfirmed(c, deletion{
		exists: func(ctx context.Context, id int64) error { _, err := h.app.Stores.KB.CategoryByID(ctx, id); return err },
		remove: h.app.Stores.KB.DeleteCategory, page: "/admin/kb/categories/", done: "/admin/kb",
		unconfirmed: "flash.kb_delete_unconfirmed", deleted: "flash.kb_category_deleted"})
}

// showKBArticleForm shows the empty form at /new, else the article's with a preview.
func (h *Handler) showKBArticleForm(c *fiber.Ctx) error {
	if c.Params("id") == "" {
		return h.renderKBArticleForm(c, models.KBArticle{}, kbArticleForm{Status: string(models.ArticleDraft),
			CategoryID: c.Query("category")}, nil)
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	art, err := h.app.Stores.KB.ArticleByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	f := kbArticleForm{CategoryID: strconv.FormatInt(art.CategoryID, 10), Title: art.Title, Slug: art.Slug,
		Body: art.Body, Status: string(art.Status)}
	return h.renderKBArticleForm(c, art, f, nil)
}

// saveKBArticle creates or updates an article; invalid input shows the form again. After a save
// the editor returns to the article's form, where the preview shows the saved body.
func (h *Handler) saveKBArticle(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var saved models.KBArticle
	if c.Params("id") != "" {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		if saved, err = h.app.Stores.KB.ArticleByID(ctx, id); err != nil {
			return err
		}
	}
	var f kbArticleForm
	if err := c.BodyParser(&f); err != nil {
		return fiber.ErrBadRequest
	}
	catID, _ := strconv.ParseInt(f.CategoryID, 10, 64)
	in := app.KBArticleInput{CategoryID: catID, Slug: f.Slug, Title: f.Title, Body: f.Body, Status: models.ArticleStatus(f.Status)}
	art, err := h.app.SaveKBArticle(ctx, saved.ID, in, h.viewer(c).Staff.ID)
	if err != nil {
		return h.renderKBArticleForm(c, saved, f, err)
	}
	h.setFlash(c, "info", "flash.kb_article_saved")
	return redirect(c, "/admin/kb/articles/"+strconv.FormatInt(art.ID, 10))
}

func (h *Handler) renderKBArticleForm(c *fiber.Ctx, saved models.KBArticle, f kbArticleForm, failed error) error {
	cats, err := h.app.Stores.KB.CategoriesWithCounts(c.UserContext(), false)
	if err != nil {
		return err
	}
	vm := kbArticleFormPage{Base: h.base(c, "kb.admin.article.title", "admin"), ID: saved.ID, Form: f,
		Action: "/admin/kb/articles/new", Published: saved.IsPublished(), HelpfulYes: saved.HelpfulYes, HelpfulNo: saved.HelpfulNo}
	if saved.ID != 0 {
		vm.Action = "/admin/kb/articles/" + strconv.FormatInt(saved.ID, 10)
		vm.Preview = app.RenderMarkdown(saved.Body)
	}
	for _, cat := range cats {
		sel := strconv.FormatInt(cat.ID, 10) == f.CategoryID
		vm.Categories = append(vm.Categories, kbCategoryOption{ID: cat.ID, Name: cat.Name, Selected: sel})
		if cat.ID == saved.CategoryID && saved.ID != 0 {
			vm.PublicURL = kbArticleURL(cat.Slug, saved.Slug)
		}
	}
	if vm.Errors, err = kbFieldErrors(vm.Base, failed, "category", "title", "slug", "body", "status"); err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, "pages/admin/kb_article", vm)
}

// deleteKBArticle deletes an article once the confirmation box is ticked.
func (h *Handler) deleteKBArticle(c *fiber.Ctx) error {
	return h.deleteConfirmed(c, deletion{
		exists: func(ctx context.Context, id int64) error { _, err := h.app.Stores.KB.ArticleByID(ctx, id); return err },
		remove: h.app.Stores.KB.DeleteArticle, page: "/admin/kb/articles/", done: "/admin/kb",
		unconfirmed: "flash.kb_delete_unconfirmed", deleted: "flash.kb_article_deleted"})
}
