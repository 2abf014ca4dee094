package models

import (
	"context"
	"time"
)

// Staff token purposes (staff_tokens.purpose).
const (
	StaffTokenInvite = "invite" // set the first password of an invited staff user
	StaffTokenReset  = "reset"  // set a new password after "forgot password"
)

// StaffToken is a single-use, expiring link sent to a staff user by e-mail. Only the SHA-256
// of the token is stored, so a database dump holds no usable link.
type StaffToken struct {
	TokenHash string `gorm:"primaryKey"`
	Purpose   string
	StaffID   int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// TableName maps StaffToken to its table.
func (StaffToken) TableName() string { return "staff_tokens" }

// StaffTokenStore keeps single-use staff invitation and password-reset tokens (staff_tokens).
type StaffTokenStore struct{ db *DB }

// Create stores a token.
func (s *StaffTokenStore) Create(ctx context.Context, t *StaffToken) error {
	return mapErr("create staff token", s.db.Gorm.WithContext(ctx).Create(t).Error)
}

// Peek returns a usable token (unused, unexpired at now, of this purpose) without consuming
// it, so the page behind the link can say whose password it sets.
func (s *StaffTokenStore) Peek(ctx context.Context, hash, purpose string, now time.Time) (StaffToken, error) {
	var t StaffToken
	err := s.db.Gorm.WithContext(ctx).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hash, purpose, now).
		Take(&t).Error
	return t, mapErr("peek staff token", err)
}

// Consume marks a usable token used and returns it; a token that is unknown, used, expired or
// of another purpose returns ErrNotFound. Atomic: of two concurrent uses exactly one wins.
func (s *StaffTokenStore) Consume(ctx context.Context, hash, purpose string, now time.Time) (StaffToken, error) {
	res := s.db.Gorm.WithContext(ctx).Model(&StaffToken{}).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hash, purpose, now).
		Update("used_at", now)
	if res.Error != nil {
		return StaffToken{}, mapErr("consume staff token", res.Error)
	}
	if res.RowsAffected == 0 {
		return StaffToken{}, ErrNotFound
	}
	var t StaffToken
	err := s.db.Gorm.WithContext(ctx).Where("token_hash = ?", hash).Take(&t).Error
	return t, mapErr("consume staff token", err)
}

// Revoke marks every unused token of a staff user used, whatever its purpose: a newer link,
// a password set by any link, or a deactivation kills the older links.
func (s *StaffTokenStore) Revoke(ctx context.Context, staffID int64, now time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Model(&StaffToken{}).
		Where("staff_id = ? AND used_at IS NULL", staffID).Update("used_at", now).Error
	return mapErr("revoke staff tokens", err)
}

// HasUsable reports whether a staff user has an unused, unexpired token of a purpose (the
// staff list shows "invitation pending" from it).
func (s *StaffTokenStore) HasUsable(ctx context.Context, staffID int64, purpose string, now time.Time) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&StaffToken{}).
		Where("staff_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", staffID, purpose, now).
		Count(&n).Error
	return n > 0, mapErr("usable staff token", err)
}

// DeleteExpired removes tokens that expired before t.
func (s *StaffTokenStore) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).Where("expires_at <= ?", t).Delete(&StaffToken{})
	return res.RowsAffected, mapErr("delete expired staff tokens", res.Error)
}
