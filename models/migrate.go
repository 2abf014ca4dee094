package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"portico/models/migrations"
)

// migrationLockKey is the PostgreSQL advisory lock that serialises instances migrating at once.
const migrationLockKey = 7_150_421_873

// Migrate applies every pending migration, each in its own transaction together with the row
// that records it. A second run is a no-op. On PostgreSQL an advisory lock makes instances that
// start together take turns; on SQLite the immediate transaction does the same.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	return db.migrate(ctx, migrations.All)
}

func (db *DB) migrate(ctx context.Context, all []migrations.Migration) (applied []string, err error) {
	g := db.Gorm.WithContext(ctx)
	err = g.Connection(func(conn *gorm.DB) error {
		if db.Dialect == Postgres {
			if err := conn.Exec("SELECT pg_advisory_lock(?)", migrationLockKey).Error; err != nil {
				return fmt.Errorf("models: take migration lock: %w", err)
			}
			// A fresh context: the unlock must run even when ctx was cancelled meanwhile.
			defer conn.WithContext(context.Background()).Exec("SELECT pg_advisory_unlock(?)", migrationLockKey)
		}
		if err := conn.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`).Error; err != nil {
			return fmt.Errorf("models: create schema_migrations: %w", err)
		}
		for _, m := range all {
			done, err := db.applyOne(conn, m)
			if err != nil {
				return err
			}
			if done {
				applied = append(applied, m.ID)
			}
		}
		return nil
	})
	return applied, err
}

// applyOne runs m unless it is recorded already; the check sits inside the transaction so that a
// concurrent SQLite process that won the write lock is seen.
func (db *DB) applyOne(conn *gorm.DB, m migrations.Migration) (bool, error) {
	ran := false
	err := conn.Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Raw("SELECT COUNT(*) FROM schema_migrations WHERE id = ?", m.ID).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := m.Up(tx, string(db.Dialect)); err != nil {
			return fmt.Errorf("models: migration %s: %w", m.ID, err)
		}
		ran = true
		return tx.Exec("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)",
			m.ID, time.Now().UTC().Format(time.RFC3339)).Error
	})
	return ran, err
}

// Pending lists migrations not yet applied, for `portico migrate --status` and /healthz checks.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	var done []string
	err := db.Gorm.WithContext(ctx).Raw("SELECT id FROM schema_migrations").Scan(&done).Error
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(done))
	for _, id := range done {
		have[id] = true
	}
	var pending []string
	for _, m := range migrations.All {
		if !have[m.ID] {
			pending = append(pending, m.ID)
		}
	}
	return pending, nil
}
