package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SSOStore keeps single sign-on state: used one-time values (JWT ids, SAML request and assertion
// ids) and the SAML service provider's key pair.
type SSOStore struct{ db *DB }

// NewSSOStore builds the SSO store over db.
func NewSSOStore(db *DB) *SSOStore { return &SSOStore{db: db} }

// ReplayKey is the key under which a one-time value of a kind ("jwt", "saml-request",
// "saml-assertion") is remembered: the value is hashed, so its length and characters never
// matter and the table holds nothing an attacker could reuse.
func ReplayKey(kind, value string) string {
	sum := sha256.Sum256([]byte(value))
	return kind + ":" + hex.EncodeToString(sum[:])
}

// Consume records key as used until expires. A key recorded before returns ErrConflict: that is
// a replay. Atomic: of two concurrent uses exactly one wins (the primary key decides).
func (s *SSOStore) Consume(ctx context.Context, key string, expires time.Time) error {
	res := s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&SSOReplay{Key: key, ExpiresAt: expires.UTC()})
	if res.Error != nil {
		return mapErr("consume sso value", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrConflict
	}
	return nil
}

// DeleteExpired forgets one-time values whose time ended before t.
func (s *SSOStore) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).Where("expires_at <= ?", t.UTC()).Delete(&SSOReplay{})
	return res.RowsAffected, mapErr("delete expired sso values", res.Error)
}

// KeyPair returns the key pair stored under name.
func (s *SSOStore) KeyPair(ctx context.Context, name string) (SSOKeyPair, error) {
	var kp SSOKeyPair
	err := s.db.Gorm.WithContext(ctx).Where("name = ?", name).Take(&kp).Error
	return kp, mapErr("sso key pair", err)
}

// CreateKeyPairIfAbsent stores kp unless a pair with its name exists, and returns the stored
// pair either way: of two instances generating at once, both end up using the first one.
func (s *SSOStore) CreateKeyPairIfAbsent(ctx context.Context, kp SSOKeyPair) (SSOKeyPair, error) {
	if kp.CreatedAt.IsZero() {
		kp.CreatedAt = now()
	}
	err := s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&kp).Error
	if err != nil {
		return SSOKeyPair{}, mapErr("create sso key pair", err)
	}
	return s.KeyPair(ctx, kp.Name)
}

// ListsAll returns every contact list by name, for choosing an SSO audience.
func (s *SSOStore) ListsAll(ctx context.Context) ([]ContactList, error) {
	var out []ContactList
	err := s.db.Gorm.WithContext(ctx).Order("name, id").Find(&out).Error
	return out, mapErr("all contact lists", err)
}

// RecordSSOLogin marks a contact's address verified (the identity provider vouched for it; an
// earlier verification time is kept), fills an empty name, and stamps the sign-in time.
func (s *SSOStore) RecordSSOLogin(ctx context.Context, contactID int64, name string, t time.Time) error {
	updates := map[string]any{
		"email_verified_at": gorm.Expr("COALESCE(email_verified_at, ?)", t),
		"last_login_at":     t,
		"updated_at":        t,
	}
	if name != "" {
		updates["name"] = gorm.Expr("CASE WHEN name = '' THEN ? ELSE name END", name)
	}
	res := s.db.Gorm.WithContext(ctx).Model(&Contact{}).Where("id = ?", contactID).Updates(updates)
	if res.Error != nil {
		return mapErr("record sso login", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
