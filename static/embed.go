// Package static embeds Portico's stylesheets, images and the vendored htmx scripts.
package static

import "embed"

// FS holds every static asset, served under /static/ with content-hashed cache-busting URLs.
//
//go:embed css js img
var FS embed.FS
