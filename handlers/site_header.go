package handlers

import (
	"encoding/json"
	"html/template"
	"strconv"
)

// The site header (partials/site_header) is the same on every page a person sees in one
// session and language — until they change page in a way it shows (the language form's return
// address), or the admin edits the portal's menu. Rendering it is some sixty reflective
// template calls; so it is rendered once per distinct content and shared through the fragment
// cache, keyed by everything it reads. Its CSRF token is part of the key, so an entry is never
// shared between two sessions.

// SiteHeader is the page's rendered header, or "" when the Base was not built by a handler
// (the layout then renders the partial itself).
func (b Base) SiteHeader() (template.HTML, error) {
	if b.header == nil {
		return "", nil
	}
	return b.header(b)
}

// siteHeader renders b's header through the fragment cache.
func (h *Handler) siteHeader(b Base) (template.HTML, error) {
	key, err := siteHeaderKey(b)
	if err != nil {
		return "", err
	}
	b.header = nil // the partial must not come back here
	return h.cachedFragment(key, "partials/site_header", b)
}

// siteHeaderKey names a header by everything partials/site_header reads.
func siteHeaderKey(b Base) (string, error) {
	portal, err := json.Marshal(b.Portal)
	if err != nil {
		return "", err
	}
	var logo string
	var nav []byte
	if b.Brand != nil {
		logo = b.Brand.LogoURL
		if nav, err = json.Marshal(b.Brand.Nav); err != nil {
			return "", err
		}
	}
	v := b.Viewer
	if v == nil {
		v = &Viewer{}
	}
	return contentKey("partials/site_header", b.Lang, b.Area, b.CSRF, string(portal), logo, string(nav),
		v.Name(), strconv.FormatBool(v.Contact != nil), strconv.FormatBool(v.IsStaff()),
		strconv.FormatBool(v.IsAdmin())), nil
}
