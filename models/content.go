package models

import "time"

// ConsentText is one version of the consent-to-process notice and its checkbox label.
// Versions are never edited: a change is a new version.
type ConsentText struct {
	ID            int64
	Version       int
	Notice        string
	CheckboxLabel string
	CreatedByID   *int64
	CreatedAt     time.Time
}

// ConsentRecord proves what one contact agreed to: an exact copy of the text and label shown,
// when, and from which address.
type ConsentRecord struct {
	ID            int64
	ContactID     int64
	ConsentTextID *int64
	Version       int
	Notice        string
	CheckboxLabel string
	IP            string `gorm:"column:ip"`
	UserAgent     string
	CreatedAt     time.Time
}

// ArticleStatus says whether a knowledge-base article is public.
type ArticleStatus string

// Article statuses.
const (
	ArticleDraft     ArticleStatus = "draft"
	ArticlePublished ArticleStatus = "published"
)

// KBCategory groups knowledge-base articles.
type KBCategory struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Position    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName maps KBCategory to its table.
func (KBCategory) TableName() string { return "kb_categories" }

// KBArticle is a knowledge-base article written in Markdown; it is rendered and sanitised when
// shown, and the source is kept.
type KBArticle struct {
	ID          int64
	CategoryID  int64
	Slug        string
	Title       string
	Body        string
	Status      ArticleStatus
	AuthorID    *int64
	HelpfulYes  int
	HelpfulNo   int
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName maps KBArticle to its table.
func (KBArticle) TableName() string { return "kb_articles" }

// IsPublished reports whether customers may read the article.
func (a KBArticle) IsPublished() bool { return a.Status == ArticlePublished }
