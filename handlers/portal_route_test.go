package handlers

import (
	"testing"

	"portico/models"
)

// portalRoute decides both the router's path and the upload body rule's (before routing), so
// that the two never disagree about which route a request is.
func TestPortalRoute(t *testing.T) {
	p := models.DefaultPortalSettings()
	p.Slug, p.PreviousSlugs, p.CustomDomain = "help", []string{"support"}, "help.acme.example"
	cases := []struct {
		host, path       string
		routed, redirect string
		custom           bool
	}{
		{"portico.example", "/help", "/portal", "", false},
		{"portico.example", "/help/tickets/T-1/reply", "/portal/tickets/T-1/reply", "", false},
		{"portico.example", "/Help/new", "/Help/new", "", false}, // slugs are exact, as the router is
		{"portico.example", "/portal/new", "/portal/new", "/help/new", false},
		{"portico.example", "/support/tickets", "/support/tickets", "/help/tickets", false},
		{"portico.example", "/desk/tickets/T-1/reply", "/desk/tickets/T-1/reply", "", false},
		{"HELP.acme.example:443", "/tickets/T-1/reply", "/portal/tickets/T-1/reply", "", true},
		{"help.acme.example", "/", "/portal", "", true},
		{"help.acme.example", "/kb/billing", "/kb/billing", "", true},
		{"help.acme.example", "/static/app.css", "/static/app.css", "", true},
	}
	for _, c := range cases {
		routed, redirect, custom := portalRoute(p, c.host, c.path)
		if routed != c.routed || redirect != c.redirect || custom != c.custom {
			t.Errorf("%s%s: routed %q, redirect %q, custom %v; want %q, %q, %v",
				c.host, c.path, routed, redirect, custom, c.routed, c.redirect, c.custom)
		}
	}
}
