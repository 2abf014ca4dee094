package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

func TestBrandingFiles(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewBrandingStore(db)
		ctx := context.Background()
		at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		id := strings.Repeat("ab", 16)
		f := models.BrandingFile{PublicID: id, Kind: models.BrandingLogo, ContentType: "image/png", Size: 68,
			StorageKey: "ab/abcdef", SHA256: strings.Repeat("0", 64), CreatedAt: at}
		if err := s.Create(ctx, &f); err != nil || f.ID == 0 {
			t.Fatalf("create: %v (id %d)", err, f.ID)
		}
		got, err := s.ByPublicID(ctx, id)
		if err != nil || got.ID != f.ID || got.ContentType != "image/png" || got.SHA256 != f.SHA256 ||
			got.StorageKey != f.StorageKey || got.Size != 68 || !got.CreatedAt.Equal(at) {
			t.Fatalf("ByPublicID = %+v, %v", got, err)
		}

		dup := f
		dup.ID = 0
		if err := s.Create(ctx, &dup); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate public id: %v, want ErrConflict", err)
		}
		var ve *models.ValidationError
		for _, bad := range []models.BrandingFile{
			{PublicID: strings.Repeat("cd", 16), Kind: "script", ContentType: "text/html", StorageKey: "k", SHA256: "s"},
			{PublicID: "../../etc/passwd", Kind: models.BrandingFavicon, ContentType: "image/png", StorageKey: "k", SHA256: "s"},
		} {
			if err := s.Create(ctx, &bad); !errors.As(err, &ve) {
				t.Fatalf("create %+v: %v, want a validation error", bad, err)
			}
		}

		for _, probe := range []string{"", "1", strings.Repeat("cd", 16), strings.ToUpper(id), id + "x",
			"' OR 1=1--", "../" + id, id[:31] + "\n"} {
			if _, err := s.ByPublicID(ctx, probe); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("ByPublicID(%q): %v, want ErrNotFound", probe, err)
			}
		}

		gone, err := s.Delete(ctx, id)
		if err != nil || gone.StorageKey != f.StorageKey {
			t.Fatalf("delete = %+v, %v", gone, err)
		}
		if _, err := s.ByPublicID(ctx, id); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if _, err := s.Delete(ctx, id); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
