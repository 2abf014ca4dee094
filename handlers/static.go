package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"portico/static"
)

// asset is one static file held in memory with its content hash and, for text, a gzipped copy.
type asset struct {
	data, gz []byte
	hash     string
	ctype    string
}

// assetTable maps paths under /static/ to files.
type assetTable struct{ files map[string]*asset }

// loadAssets reads every embedded static file once, hashing it for cache-busting URLs.
func loadAssets() (*assetTable, error) {
	t := &assetTable{files: map[string]*asset{}}
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") {
			return err
		}
		data, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a := &asset{data: data, hash: hex.EncodeToString(sum[:])[:12], ctype: mime.TypeByExtension(path.Ext(p))}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		if strings.HasPrefix(a.ctype, "text/") || strings.Contains(a.ctype, "javascript") || strings.Contains(a.ctype, "svg") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			a.gz = buf.Bytes()
		}
		t.files[p] = a
		return nil
	})
	return t, err
}

// url is the template helper: the asset's path with its content hash, so browsers may cache
// it for a year and still see every change.
func (t *assetTable) url(p string) string {
	a, ok := t.files[p]
	if !ok {
		panic("handlers: unknown static asset " + p)
	}
	return "/static/" + p + "?v=" + a.hash
}

// serveStatic answers /static/*. A request naming the current hash is immutable; others must
// revalidate (ETag).
func (h *Handler) serveStatic(c *fiber.Ctx) error {
	a, ok := h.assets.files[c.Params("*")]
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + a.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Query("v") == a.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	if a.gz != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.data)
}
