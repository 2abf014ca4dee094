package models

import (
	"context"
	"time"
)

// Token purposes.
const (
	TokenVerify = "verify" // prove an e-mail address (registration)
	TokenInvite = "invite" // set a first password (access lists)
	TokenReset  = "reset"  // set a new password
)

// AuthToken is a single-use, expiring token sent by e-mail. Only its hash is stored.
type AuthToken struct {
	TokenHash string `gorm:"primaryKey"`
	Purpose   string
	Email     string
	ContactID *int64
	Data      Props
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// TokenStore keeps single-use e-mail tokens.
type TokenStore struct{ db *DB }

// Create stores a token.
func (s *TokenStore) Create(ctx context.Context, t *AuthToken) error {
	t.Email = NormalizeEmail(t.Email)
	if t.Data == nil {
		t.Data = Props{}
	}
	return mapErr("create token", s.db.Gorm.WithContext(ctx).Create(t).Error)
}

// Peek returns a usable token (unused, not expired at now) without consuming it, so a page can
// show what the link will do before the visitor confirms.
func (s *TokenStore) Peek(ctx context.Context, hash, purpose string, now time.Time) (AuthToken, error) {
	var t AuthToken
	err := s.db.Gorm.WithContext(ctx).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hash, purpose, now).
		Take(&t).Error
	return t, mapErr("peek token", err)
}

// Consume marks a usable token used and returns it; a token that is unknown, used, expired or
// of another purpose returns ErrNotFound. Atomic: of two concurrent uses exactly one wins.
func (s *TokenStore) Consume(ctx context.Context, hash, purpose string, now time.Time) (AuthToken, error) {
	res := s.db.Gorm.WithContext(ctx).Model(&AuthToken{}).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hash, purpose, now).
		Update("used_at", now)
	if res.Error != nil {
		return AuthToken{}, mapErr("consume token", res.Error)
	}
	if res.RowsAffected == 0 {
		return AuthToken{}, ErrNotFound
	}
	var t AuthToken
	err := s.db.Gorm.WithContext(ctx).Where("token_hash = ?", hash).Take(&t).Error
	return t, mapErr("consume token", err)
}

// Revoke marks every unused token of one purpose for an address used, so that older links
// die when a newer one is issued or when one of them is followed.
func (s *TokenStore) Revoke(ctx context.Context, email, purpose string, now time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Model(&AuthToken{}).
		Where("email = ? AND purpose = ? AND used_at IS NULL", NormalizeEmail(email), purpose).
		Update("used_at", now).Error
	return mapErr("revoke tokens", err)
}

// DeleteExpired removes tokens that expired before t.
func (s *TokenStore) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).Where("expires_at <= ?", t).Delete(&AuthToken{})
	return res.RowsAffected, mapErr("delete expired tokens", res.Error)
}

// HasUsable reports whether an address has an unused, unexpired token of a purpose.
func (s *TokenStore) HasUsable(ctx context.Context, email, purpose string, now time.Time) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&AuthToken{}).
		Where("email = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", NormalizeEmail(email), purpose, now).
		Count(&n).Error
	return n > 0, mapErr("usable token", err)
}
