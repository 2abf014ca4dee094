package app

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"portico/models"
)

// portalCacheTTL bounds how stale another instance's view of the portal settings may be. The
// settings are read on every request (routing needs the slug and custom domain), so they are
// cached; an instance sees its own saves at once.
const portalCacheTTL = 2 * time.Second

type portalCache struct {
	mu      sync.Mutex
	value   models.PortalSettings
	fetched time.Time
}

// Portal returns the portal settings, from a short-lived cache.
func (a *App) Portal(ctx context.Context) (models.PortalSettings, error) {
	a.portal.mu.Lock()
	defer a.portal.mu.Unlock()
	if !a.portal.fetched.IsZero() && time.Since(a.portal.fetched) < portalCacheTTL {
		return a.portal.value, nil
	}
	p, err := a.Stores.Settings.Portal(ctx)
	if err != nil {
		if !a.portal.fetched.IsZero() {
			return a.portal.value, nil // stale beats nothing while the database is away
		}
		return models.PortalSettings{}, err
	}
	a.portal.value, a.portal.fetched = p, time.Now()
	return p, nil
}

// SavePortal validates and stores the portal settings and refreshes this instance's cache.
func (a *App) SavePortal(ctx context.Context, p models.PortalSettings) error {
	if err := a.Stores.Settings.SavePortal(ctx, p); err != nil {
		return err
	}
	a.portal.mu.Lock()
	a.portal.fetched = time.Time{}
	a.portal.mu.Unlock()
	return nil
}

// PortalAdmits reports whether a contact may enter the portal under its access mode: anyone
// with an account in self-registration mode, only members of the chosen lists in list mode.
func (a *App) PortalAdmits(ctx context.Context, p models.PortalSettings, c models.Contact) (bool, error) {
	if !c.Active {
		return false, nil
	}
	if p.AccessMode != models.AccessLists {
		return true, nil
	}
	return a.inAnyList(ctx, p.AccessLists, c.ID)
}

// SSOAdmits reports whether a contact is in the SSO audience (all SSO users, or chosen lists).
func (a *App) SSOAdmits(ctx context.Context, p models.PortalSettings, c models.Contact) (bool, error) {
	if len(p.SSO.AudienceLists) == 0 {
		return c.Active, nil
	}
	return a.inAnyList(ctx, p.SSO.AudienceLists, c.ID)
}

func (a *App) inAnyList(ctx context.Context, lists []int64, contactID int64) (bool, error) {
	for _, id := range slices.Compact(slices.Sorted(slices.Values(lists))) {
		in, err := a.Stores.Contacts.InList(ctx, id, contactID)
		if err != nil || in {
			return in, err
		}
	}
	return false, nil
}

// Default consent notice and label of a fresh install (admins edit them under /admin/portal/consent).
const (
	defaultConsentNotice = "<p>We process the personal data you give us (your name, your e-mail address and " +
		"what you write in your requests) to answer your support requests. We keep it while your account " +
		"exists. You may ask for a copy of it, or for its deletion, at any time by contacting the support team.</p>"
	defaultConsentLabel = "I agree that my data is processed to handle my support requests."
)

// EnsureDefaultConsent publishes a first consent text when none exists, so a fresh install
// shows a complete registration form at once. It reports whether it published one.
func (a *App) EnsureDefaultConsent(ctx context.Context) (bool, error) {
	_, err := a.Stores.Consent.Current(ctx)
	if err == nil || !errors.Is(err, models.ErrNotFound) {
		return false, err
	}
	err = a.Stores.Consent.Publish(ctx, &models.ConsentText{Notice: defaultConsentNotice,
		CheckboxLabel: defaultConsentLabel, CreatedAt: a.Now()})
	if errors.Is(err, models.ErrConflict) {
		return false, nil // another instance published it at the same moment
	}
	return err == nil, err
}

// PortalScope is what one customer may see in the portal: their own tickets, their primary
// company's when the portal shares them (only once their address is proven), always narrowed by
// the admin's ticket filters.
func (a *App) PortalScope(p models.PortalSettings, c models.Contact) models.PortalScope {
	s := models.PortalScope{ContactID: c.ID, Rules: p.TicketFilters}
	if p.TicketVisibility == models.VisibilityCompany && c.CompanyID != nil && c.IsVerified() {
		s.CompanyID = *c.CompanyID
	}
	return s
}
