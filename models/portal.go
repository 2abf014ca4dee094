package models

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
)

// Ticket visibility in the portal (SPEC T-3).
const (
	VisibilityOwn     = "own"     // a contact sees the tickets associated with them
	VisibilityCompany = "company" // and, in an Organisation view, their primary company's
)

// Access modes of the customer portal (SPEC P-3, P-4).
const (
	AccessSelfRegistration = "self_registration"
	AccessLists            = "lists"
)

// PortalSettings is everything an admin configures about the customer portal. It is stored as
// one JSON document (settings key "portal"): it is read whole on every portal request and never
// queried by field, and new settings need no migration.
type PortalSettings struct {
	Title         string   `json:"title"`          // browser tab and heading
	Slug          string   `json:"slug"`           // the portal lives at /<slug>
	PreviousSlugs []string `json:"previous_slugs"` // old slugs, redirected to the current one
	Enabled       bool     `json:"enabled"`
	CustomDomain  string   `json:"custom_domain"` // a Host that serves the portal at /
	Language      string   `json:"language"`      // the portal's language
	// VisitorLanguages lets each visitor pick among Languages (Accept-Language, or a choice).
	VisitorLanguages bool     `json:"visitor_languages"`
	Languages        []string `json:"languages"`
	IdleMinutes      int      `json:"idle_minutes"` // portal sessions idle this long are signed out
	// KBShowPortalLink shows "Go to <portal name>" in the knowledge base's navigation (SPEC
	// K-2). On by default; settings saved before it existed keep the default, since stored
	// settings are decoded over DefaultPortalSettings.
	KBShowPortalLink bool `json:"kb_show_portal_link"`

	AccessMode  string  `json:"access_mode"`  // AccessSelfRegistration or AccessLists
	AccessLists []int64 `json:"access_lists"` // lists whose contacts may enter in AccessLists mode

	// TicketVisibility is VisibilityOwn or VisibilityCompany (SPEC T-3).
	TicketVisibility string `json:"ticket_visibility"`
	// ShowCustomStages shows the stage name instead of Open/Closed (SPEC T-2).
	ShowCustomStages bool `json:"show_custom_stages"`
	// TicketFilters decide which tickets exist for the portal at all (SPEC T-4).
	TicketFilters []FilterRule `json:"ticket_filters"`

	// SupportForm configures "Submit a support ticket" (SPEC T-9).
	SupportForm SupportFormSettings `json:"support_form"`
	// DefaultInboxID is where portal replies start a thread when a ticket has none (SPEC T-8).
	DefaultInboxID int64 `json:"default_inbox_id"`

	SSO      SSOSettings `json:"sso"`
	Branding Branding    `json:"branding"`
}

// Branding is how the portal, knowledge base and system pages look (SPEC P-10).
type Branding struct {
	LogoID    string    `json:"logo_id"`    // branding_files.public_id, or empty
	FaviconID string    `json:"favicon_id"` // branding_files.public_id, or empty
	Primary   string    `json:"primary"`    // #rrggbb
	Secondary string    `json:"secondary"`  // #rrggbb
	Welcome   string    `json:"welcome"`    // plain text shown on the portal's front page
	Nav       []NavLink `json:"nav"`        // admin-edited navigation menu
}

// NavLink is one entry of the portal's navigation menu.
type NavLink struct {
	Label string `json:"label"`
	URL   string `json:"url"` // http(s)://… or a path on this site
}

// DefaultPortalSettings is what a fresh install starts with: a working self-registration portal.
func DefaultPortalSettings() PortalSettings {
	return PortalSettings{
		Title:            "Customer portal",
		Slug:             "portal",
		Enabled:          true,
		Language:         "en",
		Languages:        []string{"en", "pt-BR"},
		IdleMinutes:      30,
		KBShowPortalLink: true,
		AccessMode:       AccessSelfRegistration,
		TicketVisibility: VisibilityOwn,
		Branding:         Branding{Primary: "#1d4ed8", Secondary: "#0f766e"},
	}
}

// Idle is the portal's inactivity timeout.
func (p PortalSettings) Idle() time.Duration { return time.Duration(p.IdleMinutes) * time.Minute }

var (
	slugRe   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
	colourRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	domainRe = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// reservedSlugs are first path segments Portico itself uses; a portal there would shadow them.
var reservedSlugs = map[string]bool{
	"admin": true, "desk": true, "login": true, "logout": true, "static": true, "healthz": true,
	"branding": true, "api": true, "kb": true, "widget": true, "webhooks": true, "sso": true,
	"password": true, "staff": true,
}

// Validate checks the settings an admin may edit and names the first bad field.
func (p PortalSettings) Validate() error {
	switch {
	case strings.TrimSpace(p.Title) == "" || len(p.Title) > 120:
		return Invalid("title", "error.portal_title")
	case !slugRe.MatchString(p.Slug) || reservedSlugs[p.Slug]:
		return Invalid("slug", "error.portal_slug")
	case p.CustomDomain != "" && !domainRe.MatchString(p.CustomDomain):
		return Invalid("custom_domain", "error.portal_domain")
	case p.Language != "en" && p.Language != "pt-BR":
		return Invalid("language", "error.portal_language")
	case p.IdleMinutes < 5 || p.IdleMinutes > 7*24*60:
		return Invalid("idle_minutes", "error.portal_idle")
	case p.AccessMode != AccessSelfRegistration && p.AccessMode != AccessLists:
		return Invalid("access_mode", "error.portal_access_mode")
	case p.AccessMode == AccessLists && len(p.AccessLists) == 0:
		return Invalid("access_lists", "error.portal_access_lists")
	case !colourRe.MatchString(p.Branding.Primary):
		return Invalid("primary", "error.colour")
	case !colourRe.MatchString(p.Branding.Secondary):
		return Invalid("secondary", "error.colour")
	case len(p.Branding.Welcome) > 4000:
		return Invalid("welcome", "error.too_long")
	case len(p.Branding.Nav) > 12:
		return Invalid("nav", "error.nav_too_many")
	case p.TicketVisibility != "" && p.TicketVisibility != VisibilityOwn && p.TicketVisibility != VisibilityCompany:
		return Invalid("ticket_visibility", "error.ticket_visibility")
	case len(p.TicketFilters) > 20:
		return Invalid("ticket_filters", "error.filter_too_many")
	}
	for _, r := range p.TicketFilters {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	if err := p.SupportForm.Validate(); err != nil {
		return err
	}
	for _, l := range p.Branding.Nav {
		if strings.TrimSpace(l.Label) == "" || len(l.Label) > 60 || !SafeLinkURL(l.URL) {
			return Invalid("nav", "error.nav_link")
		}
	}
	for _, l := range p.Languages {
		if l != "en" && l != "pt-BR" {
			return Invalid("languages", "error.portal_language")
		}
	}
	return nil
}

// SafeLinkURL accepts http(s) URLs and site-local paths, nothing that could run script
// (javascript:, data:) or leave through a protocol-relative //host.
func SafeLinkURL(u string) bool {
	u = strings.TrimSpace(u)
	lower := strings.ToLower(u)
	switch {
	case len(u) == 0 || len(u) > 2000 || strings.ContainsAny(u, " \t\r\n\"'<>\\"):
		return false
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
		return len(u) > len("https://")
	case strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"):
		return true
	}
	return false
}

// portalKey is the settings key of the portal document.
const portalKey = "portal"

// Portal returns the portal settings, defaults filled in for anything never saved.
func (s *SettingsStore) Portal(ctx context.Context) (PortalSettings, error) {
	p := DefaultPortalSettings()
	if err := s.Get(ctx, portalKey, &p); err != nil && !errors.Is(err, ErrNotFound) {
		return PortalSettings{}, err
	}
	return p, nil
}

// SavePortal validates and stores the portal settings. A changed slug keeps the old one in
// PreviousSlugs so that old links redirect.
func (s *SettingsStore) SavePortal(ctx context.Context, p PortalSettings) error {
	p.CustomDomain = strings.ToLower(strings.TrimSpace(p.CustomDomain))
	if err := p.Validate(); err != nil {
		return err
	}
	old, err := s.Portal(ctx)
	if err != nil {
		return err
	}
	if old.Slug != p.Slug {
		prev := []string{old.Slug}
		for _, sl := range old.PreviousSlugs {
			if sl != p.Slug && sl != old.Slug && len(prev) < 10 {
				prev = append(prev, sl)
			}
		}
		p.PreviousSlugs = prev
	} else {
		p.PreviousSlugs = old.PreviousSlugs
	}
	return s.Put(ctx, portalKey, p)
}
