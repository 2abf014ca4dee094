// Package models holds Portico's data: plain structs with pure methods, one store per aggregate,
// the versioned migrations and the typed errors that callers test with errors.Is.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine behind a DB.
type Dialect string

// The two supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database: the GORM handle every store uses, which engine it is, and on
// PostgreSQL the pgx pool underneath (shared with LISTEN/NOTIFY so one pool serves both).
type DB struct {
	Gorm    *gorm.DB
	Dialect Dialect
	Pool    *pgxpool.Pool // nil on SQLite
	sqlDB   *sql.DB
	tx      *txState // set on a copy bound to a transaction (Stores.InTx)
}

// txState is what the statements of one transaction share: the first failure of a store
// method inside it, which ends the transaction even if its caller were to carry on.
type txState struct{ failed error }

// Options are the settings Open needs; config.Config provides them.
type Options struct {
	DatabaseURL string // postgres://… or empty for SQLite
	SQLitePath  string // file of the embedded database
	MaxConns    int    // PostgreSQL pool size
}

// Open connects to PostgreSQL when DatabaseURL is set, otherwise opens (creating) the embedded
// SQLite database. It does not migrate: call Migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	gcfg := &gorm.Config{
		Logger:                                   logger.Discard,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
		DisableForeignKeyConstraintWhenMigrating: true,
		// Stores say which statements need a transaction; single statements are atomic anyway
		// and the implicit transaction costs two round trips per write.
		SkipDefaultTransaction: true,
		TranslateError:         true,
		// Statements are prepared once per connection and reused: parsing and planning each
		// query again was an eighth of a listing page's time on SQLite. The cache is bounded;
		// statements with a varying number of IN arguments simply take more entries.
		PrepareStmt:        true,
		PrepareStmtMaxSize: 500,
		PrepareStmtTTL:     time.Hour,
	}
	if opts.DatabaseURL != "" {
		return openPostgres(ctx, opts, gcfg)
	}
	return openSQLite(opts, gcfg)
}

func openPostgres(ctx context.Context, opts Options, gcfg *gorm.Config) (*DB, error) {
	pcfg, err := pgxpool.ParseConfig(opts.DatabaseURL)
	if err != nil {
		// The parse error may quote the URL, password included: keep it out of logs.
		return nil, errors.New("models: DATABASE_URL cannot be parsed (expected postgres://user:password@host:5432/db)")
	}
	if opts.MaxConns > 0 {
		pcfg.MaxConns = int32(opts.MaxConns)
	}
	pcfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("models: connect to PostgreSQL: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	// database/sql keeps only 2 idle connections by default: under load every other query
	// handed its connection back to the pool and took another, preparing its statements
	// again (an eighth of a page's time). Keep them, but leave the pool a few connections of
	// its own for the live-event listener and its NOTIFYs, which use the pool directly.
	sqlConns := max(2, int(pool.Config().MaxConns)-4)
	sqlDB.SetMaxOpenConns(sqlConns)
	sqlDB.SetMaxIdleConns(sqlConns)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gcfg)
	if err != nil {
		sqlDB.Close()
		pool.Close()
		return nil, fmt.Errorf("models: open PostgreSQL: %w", err)
	}
	return &DB{Gorm: g, Dialect: Postgres, Pool: pool, sqlDB: sqlDB}, nil
}

func openSQLite(opts Options, gcfg *gorm.Config) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(opts.SQLitePath), 0o700); err != nil {
		return nil, fmt.Errorf("models: create data folder: %w", err)
	}
	g, err := gorm.Open(sqlite.Open(SQLiteDSN(opts.SQLitePath)), gcfg)
	if err != nil {
		return nil, fmt.Errorf("models: open SQLite: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	// WAL lets readers run beside the one writer; more connections than this only queue on the
	// write lock while each holds its own page cache.
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(0)
	return &DB{Gorm: g, Dialect: SQLite, sqlDB: sqlDB}, nil
}

// SQLiteDSN is the connection string for the embedded database. _txlock=immediate makes every
// transaction take the write lock at BEGIN: with deferred transactions two writers that both read
// first deadlock and one fails with "database is locked" instead of waiting (STACK.md). Do not add
// _time_format: glebarez/go-sqlite v1.23.0 stops reading options after it, silently dropping
// _txlock; its default time format is already SQLite's own.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Ping reports whether the database answers, for /healthz.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.sqlDB.PingContext(ctx)
}

// Close releases every connection.
func (db *DB) Close() error {
	err := db.sqlDB.Close()
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}

// WithTx runs fn in one transaction on ctx; fn's error rolls it back. On a DB already bound to
// a transaction fn runs inside it without a savepoint (a round trip each, on every reply): its
// error then rolls the whole transaction back, never only fn's part.
func (db *DB) WithTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if db.tx != nil {
		err := fn(db.Gorm.WithContext(ctx))
		if err != nil && db.tx.failed == nil {
			db.tx.failed = err
		}
		return err
	}
	return db.Gorm.WithContext(ctx).Transaction(fn)
}
