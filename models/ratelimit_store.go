package models

import (
	"context"
	"time"
)

// RateLimitStore counts events per key in fixed windows, in the database so that every
// instance sees the same counts.
type RateLimitStore struct{ db *DB }

// Hit counts one event for key at t and returns the count in the current window and when that
// window ends. A window that has ended starts again at 1. One statement, atomic on both engines.
func (s *RateLimitStore) Hit(ctx context.Context, key string, window time.Duration, t time.Time) (int, time.Time, error) {
	var row struct {
		Hits    int
		ResetAt time.Time
	}
	reset := t.Add(window)
	err := s.db.Gorm.WithContext(ctx).Raw(`
INSERT INTO rate_limits (key, hits, reset_at) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
    hits     = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.hits + 1 END,
    reset_at = CASE WHEN rate_limits.reset_at <= ? THEN excluded.reset_at ELSE rate_limits.reset_at END
RETURNING hits, reset_at`, key, reset, t, t).Scan(&row).Error
	if err != nil {
		return 0, time.Time{}, mapErr("rate limit hit", err)
	}
	return row.Hits, row.ResetAt.UTC(), nil
}

// Peek returns the count in key's current window at t without counting, and when it ends.
func (s *RateLimitStore) Peek(ctx context.Context, key string, t time.Time) (int, time.Time, error) {
	var row struct {
		Hits    int
		ResetAt time.Time
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT hits, reset_at FROM rate_limits WHERE key = ? AND reset_at > ?`, key, t).
		Scan(&row).Error
	if err != nil {
		return 0, time.Time{}, mapErr("rate limit peek", err)
	}
	return row.Hits, row.ResetAt.UTC(), nil
}

// Reset forgets key's count (after a successful login, say).
func (s *RateLimitStore) Reset(ctx context.Context, key string) error {
	return mapErr("rate limit reset", s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM rate_limits WHERE key = ?`, key).Error)
}

// DeleteExpired removes windows that ended before t.
func (s *RateLimitStore) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM rate_limits WHERE reset_at <= ?`, t)
	return res.RowsAffected, mapErr("rate limit cleanup", res.Error)
}
