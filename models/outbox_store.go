package models

import (
	"context"
	"time"
)

// OutboxStore keeps outgoing e-mail: written by the operations that send mail, claimed and
// marked by the mailer, read by the admin outbox pages.
type OutboxStore struct{ db *DB }

// OutboxPageSize is how many e-mails one page of the admin listing shows.
const OutboxPageSize = 50

// outboxListColumns are what the listing shows: the bodies stay in the database.
var outboxListColumns = []string{"id", "to_addr", "subject", "kind", "status", "attempts",
	"next_attempt_at", "sent_at", "created_at"}

// Create writes an e-mail. CreatedAt defaults to now; the status must be one of
// OutboxStatuses.
func (s *OutboxStore) Create(ctx context.Context, e *OutboxEmail) error {
	if !validOutboxStatus(e.Status) {
		return Invalid("status", "mail.error.status")
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now()
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if e.NextAttemptAt != nil {
		t := e.NextAttemptAt.UTC()
		e.NextAttemptAt = &t
	}
	return mapErr("create outbox e-mail", s.db.Gorm.WithContext(ctx).Create(e).Error)
}

// ByID returns one e-mail, bodies included.
func (s *OutboxStore) ByID(ctx context.Context, id int64) (OutboxEmail, error) {
	var e OutboxEmail
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&e).Error
	return e, mapErr("get outbox e-mail", err)
}

// List returns up to limit e-mails newest first (by created_at, then id), without their bodies.
// before is the ID of the last e-mail of the previous page, or 0 for the first page; an unknown
// before gives an empty page. more reports whether older e-mails follow.
func (s *OutboxStore) List(ctx context.Context, before int64, limit int) (rows []OutboxEmail, more bool, err error) {
	if limit < 1 {
		limit = OutboxPageSize
	}
	q := s.db.Gorm.WithContext(ctx).Select(outboxListColumns).
		Order("created_at DESC, id DESC").Limit(limit + 1)
	if before > 0 {
		// A row-value comparison keeps the keyset exact when several e-mails share a time.
		q = q.Where("(created_at, id) < (SELECT created_at, id FROM outbox_emails WHERE id = ?)", before)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, false, mapErr("list outbox", err)
	}
	if len(rows) > limit {
		return rows[:limit], true, nil
	}
	return rows, false, nil
}

// Claim leases the next due pending e-mail until now+lease and counts the attempt; it returns
// ErrNotFound when none is due. One atomic statement: of concurrent claimers, on any number of
// instances, exactly one gets a row. The lease is checked again in the outer WHERE because on
// PostgreSQL the subquery is evaluated once, before the row lock is waited for; SKIP LOCKED
// (PostgreSQL only; SQLite has one writer at a time anyway) lets other claimers move on to the
// next row instead of queueing behind this one.
func (s *OutboxStore) Claim(ctx context.Context, now time.Time, lease time.Duration) (OutboxEmail, error) {
	now = now.UTC()
	lock := ""
	if s.db.Dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// RETURNING only the id: SQLite reports no declared column types for RETURNING, so times
	// would come back as text; the row is read again by id below.
	sql := `UPDATE outbox_emails SET claimed_until = ?, attempts = attempts + 1
WHERE id = (SELECT id FROM outbox_emails
            WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
            ORDER BY next_attempt_at, id LIMIT 1` + lock + `)
  AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)
RETURNING id`
	var ids []int64
	g := s.db.Gorm.WithContext(ctx)
	if err := g.Raw(sql, now.Add(lease), now, now, now).Scan(&ids).Error; err != nil {
		return OutboxEmail{}, mapErr("claim outbox e-mail", err)
	}
	if len(ids) == 0 {
		return OutboxEmail{}, ErrNotFound
	}
	return s.ByID(ctx, ids[0])
}

// MarkSent records that the SMTP server accepted a pending e-mail and releases its lease.
func (s *OutboxStore) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.finish(ctx, "mark outbox e-mail sent", id, map[string]any{
		"status": OutboxSent, "sent_at": at.UTC(), "last_error": "", "next_attempt_at": nil, "claimed_until": nil,
	})
}

// MarkRetry records a failed attempt of a pending e-mail and schedules the next one at next.
// reason must already be redacted (no credentials, no body).
func (s *OutboxStore) MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.finish(ctx, "schedule outbox retry", id, map[string]any{
		"last_error": reason, "next_attempt_at": next.UTC(), "claimed_until": nil,
	})
}

// MarkFailed gives up on a pending e-mail; reason must already be redacted.
func (s *OutboxStore) MarkFailed(ctx context.Context, id int64, reason string) error {
	return s.finish(ctx, "mark outbox e-mail failed", id, map[string]any{
		"status": OutboxFailed, "last_error": reason, "next_attempt_at": nil, "claimed_until": nil,
	})
}

// finish updates a pending e-mail; one no longer pending (or unknown) is ErrNotFound.
func (s *OutboxStore) finish(ctx context.Context, op string, id int64, set map[string]any) error {
	res := s.db.Gorm.WithContext(ctx).Model(&OutboxEmail{}).
		Where("id = ? AND status = ?", id, OutboxPending).Updates(set)
	if res.Error != nil {
		return mapErr(op, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
