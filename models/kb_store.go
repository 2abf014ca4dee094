package models

import (
	"context"

	"gorm.io/gorm"
)

// KBStore reads and writes knowledge-base categories and articles.
type KBStore struct{ db *DB }

// CreateCategory inserts a category; a taken slug returns ErrConflict.
func (s *KBStore) CreateCategory(ctx context.Context, c *KBCategory) error {
	return mapErr("create kb category", s.db.Gorm.WithContext(ctx).Create(c).Error)
}

// CreateArticle inserts an article; a taken slug returns ErrConflict.
func (s *KBStore) CreateArticle(ctx context.Context, a *KBArticle) error {
	if a.Status == "" {
		a.Status = ArticleDraft
	}
	return mapErr("create kb article", s.db.Gorm.WithContext(ctx).Create(a).Error)
}

// CategoryBySlug returns one category.
func (s *KBStore) CategoryBySlug(ctx context.Context, slug string) (KBCategory, error) {
	var c KBCategory
	err := s.db.Gorm.WithContext(ctx).Where("slug = ?", slug).Take(&c).Error
	return c, mapErr("kb category by slug", err)
}

// CountArticles counts articles, published or not.
func (s *KBStore) CountArticles(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&KBArticle{}).Count(&n).Error
	return n, mapErr("count kb articles", err)
}

// ConsentStore reads and writes consent texts and the records of consent given.
type ConsentStore struct{ db *DB }

// Current returns the newest consent text.
func (s *ConsentStore) Current(ctx context.Context) (ConsentText, error) {
	var c ConsentText
	err := s.db.Gorm.WithContext(ctx).Order("version DESC").Take(&c).Error
	return c, mapErr("current consent text", err)
}

// Publish stores a new version of the consent text, numbered after the newest.
func (s *ConsentStore) Publish(ctx context.Context, c *ConsentText) error {
	return mapErr("publish consent text", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		var max int
		if err := tx.Raw("SELECT COALESCE(MAX(version), 0) FROM consent_texts").Scan(&max).Error; err != nil {
			return err
		}
		c.Version = max + 1
		return tx.Create(c).Error
	}))
}

// Record stores one consent given.
func (s *ConsentStore) Record(ctx context.Context, r *ConsentRecord) error {
	return mapErr("record consent", s.db.Gorm.WithContext(ctx).Create(r).Error)
}

// ForContact returns a contact's consent records, oldest first.
func (s *ConsentStore) ForContact(ctx context.Context, contactID int64) ([]ConsentRecord, error) {
	var out []ConsentRecord
	err := s.db.Gorm.WithContext(ctx).Where("contact_id = ?", contactID).Order("created_at, id").Find(&out).Error
	return out, mapErr("consent records", err)
}

// ByID returns one consent text version.
func (s *ConsentStore) ByID(ctx context.Context, id int64) (ConsentText, error) {
	var c ConsentText
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	return c, mapErr("consent text by id", err)
}
