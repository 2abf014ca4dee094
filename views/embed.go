// Package views embeds Portico's HTML templates: layouts included by every page, full pages by
// area, fragments (partials) shared by pages and htmx responses, and e-mail bodies.
package views

import "embed"

// FS holds every template; names are paths without the .html extension.
//
//go:embed layouts pages partials
var FS embed.FS
