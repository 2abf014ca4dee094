package models

import (
	"context"
	"time"
)

// UserKind tells staff sessions from customer sessions.
type UserKind string

// The two kinds of signed-in user.
const (
	KindStaff   UserKind = "staff"
	KindContact UserKind = "contact"
)

// Session is a signed-in browser. TokenHash is the SHA-256 of the cookie's token: the token
// itself is never stored.
type Session struct {
	TokenHash  string `gorm:"primaryKey"`
	UserKind   UserKind
	UserID     int64
	IP         string `gorm:"column:ip"`
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, however busy the session is
}

// Expired reports whether the session may no longer be used at t: past its absolute end, or
// idle longer than idle.
func (s Session) Expired(t time.Time, idle time.Duration) bool {
	return !t.Before(s.ExpiresAt) || t.Sub(s.LastSeenAt) > idle
}

// SessionStore keeps server-side sessions so that any of them can be revoked.
type SessionStore struct{ db *DB }

// Create inserts a new session.
func (s *SessionStore) Create(ctx context.Context, sess *Session) error {
	return mapErr("create session", s.db.Gorm.WithContext(ctx).Create(sess).Error)
}

// Get returns the session with that token hash.
func (s *SessionStore) Get(ctx context.Context, tokenHash string) (Session, error) {
	return s.getSession(ctx, tokenHash)
}

// Touch records activity at t.
func (s *SessionStore) Touch(ctx context.Context, tokenHash string, t time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Model(&Session{}).Where("token_hash = ?", tokenHash).
		Update("last_seen_at", t).Error
	return mapErr("touch session", err)
}

// Delete ends one session.
func (s *SessionStore) Delete(ctx context.Context, tokenHash string) error {
	err := s.db.Gorm.WithContext(ctx).Where("token_hash = ?", tokenHash).Delete(&Session{}).Error
	return mapErr("delete session", err)
}

// DeleteForUser ends every session of one user except the one with keepHash (may be empty):
// used on password change, reset, deactivation and "sign out everywhere".
func (s *SessionStore) DeleteForUser(ctx context.Context, kind UserKind, userID int64, keepHash string) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).
		Where("user_kind = ? AND user_id = ? AND token_hash <> ?", kind, userID, keepHash).
		Delete(&Session{})
	return res.RowsAffected, mapErr("delete user sessions", res.Error)
}

// DeleteExpired removes sessions past their absolute end or idle longer than idle.
func (s *SessionStore) DeleteExpired(ctx context.Context, t time.Time, idle time.Duration) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).
		Where("expires_at <= ? OR last_seen_at < ?", t, t.Add(-idle)).Delete(&Session{})
	return res.RowsAffected, mapErr("delete expired sessions", res.Error)
}

// CountForUser counts a user's live sessions.
func (s *SessionStore) CountForUser(ctx context.Context, kind UserKind, userID int64) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&Session{}).
		Where("user_kind = ? AND user_id = ?", kind, userID).Count(&n).Error
	return n, mapErr("count sessions", err)
}
