package models

import (
	"strings"
	"time"
)

// Stores bundles every store over one database; main builds it once and passes it down.
type Stores struct {
	DB         *DB
	Staff      *StaffStore
	Sessions   *SessionStore
	RateLimits *RateLimitStore
	Settings   *SettingsStore
	Contacts   *ContactStore
	Companies  *CompanyStore
	Pipelines  *PipelineStore
	Inboxes    *InboxStore
	Tickets    *TicketStore
	KB         *KBStore
	Consent    *ConsentStore
	Tokens     *TokenStore
	Outbox     *OutboxStore
	Branding   *BrandingStore
	SSO        *SSOStore
	Properties *PropertyStore   // custom ticket property definitions (property_store.go)
	StaffAuth  *StaffTokenStore // staff invitations and password resets (staff_token_store.go)
	Desk       *DeskStore       // timeline events, saved views, notifications (desk_store.go)
}

// NewStores builds the stores over db.
func NewStores(db *DB) *Stores {
	return &Stores{
		DB:         db,
		Staff:      &StaffStore{db: db},
		Sessions:   &SessionStore{db: db},
		RateLimits: &RateLimitStore{db: db},
		Settings:   &SettingsStore{db: db},
		Contacts:   &ContactStore{db: db},
		Companies:  &CompanyStore{db: db},
		Pipelines:  &PipelineStore{db: db},
		Inboxes:    &InboxStore{db: db},
		Tickets:    &TicketStore{db: db},
		KB:         &KBStore{db: db},
		Consent:    &ConsentStore{db: db},
		Tokens:     &TokenStore{db: db},
		Outbox:     &OutboxStore{db: db},
		Branding:   NewBrandingStore(db),
		SSO:        NewSSOStore(db),
		Properties: &PropertyStore{db: db},
		StaffAuth:  &StaffTokenStore{db: db},
		Desk:       &DeskStore{db: db},
	}
}

// NormalizeEmail lower-cases and trims an address so that the unique indexes on e-mail columns
// are case-insensitive on both engines.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// now is the single clock of the models package; stores that need a testable time take it as
// an argument instead.
func now() time.Time { return time.Now().UTC() }
