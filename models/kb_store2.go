package models

// More of KBStore (SPEC K-1, K-3, K-5): listings for the public knowledge base and the editor,
// updates and deletes, and feedback counters. kb_store.go holds the first methods.

import (
	"context"

	"gorm.io/gorm"
)

// KBCategorySummary is a category with the number of its articles (published ones for the
// public listing, all of them for the editor).
type KBCategorySummary struct {
	KBCategory
	Articles int64
}

// KBArticleRow is an article in the editor's list, with its category.
type KBArticleRow struct {
	KBArticle
	CategorySlug string
	CategoryName string
}

// CategoriesWithCounts lists every category in display order with its article count; with
// publishedOnly the count is of published articles.
func (s *KBStore) CategoriesWithCounts(ctx context.Context, publishedOnly bool) ([]KBCategorySummary, error) {
	cond := ""
	if publishedOnly {
		cond = " AND a.status = 'published'"
	}
	var out []KBCategorySummary
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT c.*, (SELECT count(*) FROM kb_articles a
WHERE a.category_id = c.id` + cond + `) AS articles FROM kb_categories c ORDER BY c.position, c.name, c.id`).
		Scan(&out).Error
	return out, mapErr("kb categories", err)
}

// CategoryByID returns one category.
func (s *KBStore) CategoryByID(ctx context.Context, id int64) (KBCategory, error) {
	var c KBCategory
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	return c, mapErr("kb category by id", err)
}

// UpdateCategory saves a category's slug, name, description and position; a taken slug returns
// ErrConflict, a missing row ErrNotFound.
func (s *KBStore) UpdateCategory(ctx context.Context, c *KBCategory) error {
	c.UpdatedAt = now()
	res := s.db.Gorm.WithContext(ctx).Model(&KBCategory{}).Where("id = ?", c.ID).
		Select("slug", "name", "description", "position", "updated_at").Updates(c)
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return mapErr("update kb category", res.Error)
}

// DeleteCategory removes a category and, by the foreign key, its articles.
func (s *KBStore) DeleteCategory(ctx context.Context, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&KBCategory{})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return mapErr("delete kb category", res.Error)
}

// PublishedInCategory returns one page of a category's published articles, newest change first,
// and how many there are.
func (s *KBStore) PublishedInCategory(ctx context.Context, categoryID int64, limit, offset int) ([]KBArticle, int64, error) {
	q := s.db.Gorm.WithContext(ctx).Model(&KBArticle{}).Where("category_id = ? AND status = ?", categoryID, ArticlePublished)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, mapErr("count kb articles in category", err)
	}
	var out []KBArticle
	err := q.Order("updated_at DESC, id DESC").Limit(limitOf(limit)).Offset(max(offset, 0)).Find(&out).Error
	return out, total, mapErr("kb articles in category", err)
}

// ArticleInCategory returns an article by its category and slug, published or not: callers
// decide who may see a draft.
func (s *KBStore) ArticleInCategory(ctx context.Context, categoryID int64, slug string) (KBArticle, error) {
	var a KBArticle
	err := s.db.Gorm.WithContext(ctx).Where("category_id = ? AND slug = ?", categoryID, slug).Take(&a).Error
	return a, mapErr("kb article by slug", err)
}

// ArticleByID returns one article, published or not.
func (s *KBStore) ArticleByID(ctx context.Context, id int64) (KBArticle, error) {
	var a KBArticle
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&a).Error
	return a, mapErr("kb article by id", err)
}

// AllArticles lists every article for the editor, by category then title.
func (s *KBStore) AllArticles(ctx context.Context) ([]KBArticleRow, error) {
	var out []KBArticleRow
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT a.id, a.category_id, a.slug, a.title, a.status,
    a.author_id, a.helpful_yes, a.helpful_no, a.published_at, a.created_at, a.updated_at,
    c.slug AS category_slug, c.name AS category_name
FROM kb_articles a JOIN kb_categories c ON c.id = a.category_id
ORDER BY c.position, c.name, a.title, a.id`).Scan(&out).Error
	return out, mapErr("all kb articles", err)
}

// UpdateArticle saves an article's editable fields and publication time; a taken slug returns
// ErrConflict, a missing row ErrNotFound. Feedback counters and the author are untouched.
func (s *KBStore) UpdateArticle(ctx context.Context, a *KBArticle) error {
	a.UpdatedAt = now()
	res := s.db.Gorm.WithContext(ctx).Model(&KBArticle{}).Where("id = ?", a.ID).
		Select("category_id", "slug", "title", "body", "status", "published_at", "updated_at").Updates(a)
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return mapErr("update kb article", res.Error)
}

// DeleteArticle removes an article.
func (s *KBStore) DeleteArticle(ctx context.Context, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&KBArticle{})
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return mapErr("delete kb article", res.Error)
}

// CountFeedback adds one "helpful" or "not helpful" vote to a published article without
// touching updated_at (a vote is not an edit). A draft or missing article returns ErrNotFound.
func (s *KBStore) CountFeedback(ctx context.Context, id int64, helpful bool) error {
	col := "helpful_no"
	if helpful {
		col = "helpful_yes"
	}
	res := s.db.Gorm.WithContext(ctx).Model(&KBArticle{}).Where("id = ? AND status = ?", id, ArticlePublished).
		UpdateColumn(col, gorm.Expr(col+" + 1"))
	if res.Error == nil && res.RowsAffected == 0 {
		return ErrNotFound
	}
	return mapErr("count kb feedback", res.Error)
}
