package app

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif" // registers GIF with image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"

	"github.com/gabriel-vasile/mimetype"

	"portico/models"
)

// Largest branding uploads (SPEC P-10). A logo or favicon has no business being bigger, and
// the files are served to every portal visitor.
const (
	MaxLogoBytes    = 1 << 20
	MaxFaviconBytes = 256 << 10
	// maxBrandingSide bounds width and height of a raster image, so that a small file cannot
	// decompress into an enormous bitmap in every visitor's browser.
	maxBrandingSide = 4096
)

// BrandingChange is what the branding form submits: colours, welcome text, menu, and
// optionally a new logo or favicon. Only these fields of the portal settings change.
type BrandingChange struct {
	Primary, Secondary string
	Welcome            string
	Nav                []models.NavLink
	Logo, Favicon      io.Reader // an uploaded file's content, or nil to keep the current one
	RemoveLogo         bool
	RemoveFavicon      bool
}

// brandingTypes maps each accepted sniffed type to the Content-Type it is served with, per
// kind. SVG is refused outright: it is a document that can carry script. APNG is a PNG.
var brandingTypes = map[string]map[string]string{
	models.BrandingLogo: {
		"image/png": "image/png", "image/apng": "image/png", "image/jpeg": "image/jpeg",
		"image/gif": "image/gif", "image/webp": "image/webp",
	},
	models.BrandingFavicon: {
		"image/png": "image/png", "image/apng": "image/png", "image/jpeg": "image/jpeg",
		"image/gif": "image/gif", "image/webp": "image/webp", "image/x-icon": "image/x-icon",
	},
}

// brandingUpload is an upload that passed the checks, held in memory (it is small).
type brandingUpload struct {
	kind, contentType string
	data              []byte
}

// checkBranding reads an uploaded logo or favicon, at most its size limit, and accepts it only
// when its content (never its name or declared type) is one of the allowed raster formats. A
// refusal is a *models.ValidationError on the field named like the kind.
func checkBranding(kind string, r io.Reader) (*brandingUpload, error) {
	if r == nil {
		return nil, nil
	}
	limit := int64(MaxLogoBytes)
	if kind == models.BrandingFavicon {
		limit = MaxFaviconBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	switch {
	case err != nil:
		return nil, err
	case int64(len(data)) > limit:
		return nil, models.Invalid(kind, "error.branding_too_large")
	}
	ctype, ok := brandingTypes[kind][mimetype.Detect(data).String()]
	if !ok {
		return nil, models.Invalid(kind, "error.branding_type")
	}
	if ctype == "image/png" || ctype == "image/jpeg" || ctype == "image/gif" {
		// The header must parse as the format it claims: this also refuses polyglots whose
		// "dimensions" are script text.
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, models.Invalid(kind, "error.branding_type")
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxBrandingSide || cfg.Height > maxBrandingSide {
			return nil, models.Invalid(kind, "error.branding_dimensions")
		}
	}
	return &brandingUpload{kind: kind, contentType: ctype, data: data}, nil
}

// SaveBranding applies the branding form to the portal settings. Both uploads are checked
// before either is stored, and the settings are validated before anything is stored, so a
// refused form leaves neither files nor rows behind. Files a save replaces or removes are
// deleted afterwards.
func (a *App) SaveBranding(ctx context.Context, ch BrandingChange) error {
	p, err := a.Portal(ctx)
	if err != nil {
		return err
	}
	old := p.Branding
	p.Branding.Primary, p.Branding.Secondary = ch.Primary, ch.Secondary
	p.Branding.Welcome, p.Branding.Nav = ch.Welcome, ch.Nav
	if ch.RemoveLogo {
		p.Branding.LogoID = ""
	}
	if ch.RemoveFavicon {
		p.Branding.FaviconID = ""
	}
	if err := p.Validate(); err != nil {
		return err
	}
	logo, err := checkBranding(models.BrandingLogo, ch.Logo)
	if err != nil {
		return err
	}
	favicon, err := checkBranding(models.BrandingFavicon, ch.Favicon)
	if err != nil {
		return err
	}
	var added []string
	for _, u := range []*brandingUpload{logo, favicon} {
		if u == nil {
			continue
		}
		f, err := a.storeBranding(ctx, u)
		if err != nil {
			a.dropBranding(ctx, added...)
			return err
		}
		added = append(added, f.PublicID)
		if u.kind == models.BrandingLogo {
			p.Branding.LogoID = f.PublicID
		} else {
			p.Branding.FaviconID = f.PublicID
		}
	}
	if err := a.SavePortal(ctx, p); err != nil {
		a.dropBranding(ctx, added...)
		return err
	}
	var gone []string
	if old.LogoID != "" && old.LogoID != p.Branding.LogoID {
		gone = append(gone, old.LogoID)
	}
	if old.FaviconID != "" && old.FaviconID != p.Branding.FaviconID {
		gone = append(gone, old.FaviconID)
	}
	a.dropBranding(ctx, gone...)
	return nil
}

// storeBranding writes an accepted upload to the storage under a generated key and records it
// under a fresh random 128-bit public id; the name the browser sent is never used.
func (a *App) storeBranding(ctx context.Context, u *brandingUpload) (models.BrandingFile, error) {
	key, size, sum, err := a.Storage.Put(ctx, bytes.NewReader(u.data))
	if err != nil {
		return models.BrandingFile{}, err
	}
	f := models.BrandingFile{PublicID: newKey(), Kind: u.kind, ContentType: u.contentType, Size: size,
		StorageKey: key, SHA256: sum, CreatedAt: a.Now()}
	if err := a.Stores.Branding.Create(ctx, &f); err != nil {
		a.Storage.Delete(ctx, key)
		return models.BrandingFile{}, err
	}
	return f, nil
}

// dropBranding deletes branding files and their blobs. It is tidying up after the fact, so a
// failure is logged rather than returned.
func (a *App) dropBranding(ctx context.Context, publicIDs ...string) {
	store := a.Stores.Branding
	for _, id := range publicIDs {
		f, err := store.Delete(ctx, id)
		if err == nil {
			err = a.Storage.Delete(ctx, f.StorageKey)
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			a.Log.Warn("delete branding file", "public_id", id, "err", err)
		}
	}
}

// OpenBranding returns a branding file's record and content for serving. Unknown ids, and a
// record whose blob is missing, are models.ErrNotFound.
func (a *App) OpenBranding(ctx context.Context, publicID string) (models.BrandingFile, io.ReadSeekCloser, error) {
	f, err := a.Stores.Branding.ByPublicID(ctx, publicID)
	if err != nil {
		return f, nil, err
	}
	r, err := a.Storage.Open(ctx, f.StorageKey)
	if err != nil {
		a.Log.Warn("branding file blob missing", "public_id", publicID, "err", err)
		return f, nil, models.ErrNotFound
	}
	return f, r, nil
}
