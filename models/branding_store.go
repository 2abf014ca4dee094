package models

import (
	"context"
	"regexp"
	"time"
)

// Kinds of branding file.
const (
	BrandingLogo    = "logo"
	BrandingFavicon = "favicon"
)

// BrandingFile is an uploaded logo or favicon. The blob lives in the attachment storage under
// StorageKey; the public address is /branding/<PublicID>, a random 128-bit id that changes with
// every upload, so the file can be cached for ever. ContentType is the sniffed type, never the
// one the browser claimed.
type BrandingFile struct {
	ID          int64
	PublicID    string
	Kind        string
	ContentType string
	Size        int64
	StorageKey  string
	SHA256      string `gorm:"column:sha256"`
	CreatedAt   time.Time
}

// TableName maps BrandingFile to its table.
func (BrandingFile) TableName() string { return "branding_files" }

// publicIDRe is the shape of a branding file's public id: 128 bits in lower-case hex.
var publicIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ValidPublicID reports whether s has the shape of a branding file's public id, so that junk
// from a URL never reaches a query.
func ValidPublicID(s string) bool { return publicIDRe.MatchString(s) }

// BrandingStore reads and writes the branding_files rows.
type BrandingStore struct{ db *DB }

// NewBrandingStore returns the branding file store over db.
func NewBrandingStore(db *DB) *BrandingStore { return &BrandingStore{db: db} }

// Create records an uploaded file; a taken public id returns ErrConflict.
func (s *BrandingStore) Create(ctx context.Context, f *BrandingFile) error {
	if f.Kind != BrandingLogo && f.Kind != BrandingFavicon {
		return Invalid("kind", "error.branding_type")
	}
	if !ValidPublicID(f.PublicID) {
		return Invalid("public_id", "error.branding_type")
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = now()
	}
	return mapErr("create branding file", s.db.Gorm.WithContext(ctx).Create(f).Error)
}

// ByPublicID returns the file with that public id; anything else, well-formed or not, is
// ErrNotFound.
func (s *BrandingStore) ByPublicID(ctx context.Context, publicID string) (BrandingFile, error) {
	var f BrandingFile
	if !ValidPublicID(publicID) {
		return f, ErrNotFound
	}
	err := s.db.Gorm.WithContext(ctx).Where("public_id = ?", publicID).Take(&f).Error
	return f, mapErr("branding file by public id", err)
}

// Delete removes the row with that public id and returns it, so that the caller can remove
// the blob too.
func (s *BrandingStore) Delete(ctx context.Context, publicID string) (BrandingFile, error) {
	f, err := s.ByPublicID(ctx, publicID)
	if err != nil {
		return f, err
	}
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", f.ID).Delete(&BrandingFile{})
	if res.Error != nil {
		return f, mapErr("delete branding file", res.Error)
	}
	if res.RowsAffected == 0 {
		return f, ErrNotFound
	}
	return f, nil
}
