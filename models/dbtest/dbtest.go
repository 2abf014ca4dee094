// Package dbtest gives tests a freshly migrated database on each engine: SQLite in a temporary
// folder always, PostgreSQL when TEST_DATABASE_URL names a server. It is imported by tests only.
//
// With PORTICO_TEST_REQUIRE=1 (set by CI) a missing or unreachable PostgreSQL fails the test
// instead of skipping it, so CI can never pass by skipping.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"portico/models"
	"portico/models/migrations"
)

// Required reports whether optional test dependencies (PostgreSQL, Chromium) must be present.
func Required() bool { return os.Getenv("PORTICO_TEST_REQUIRE") == "1" }

// Unavailable skips the test with a clear reason, or fails it when dependencies are required.
func Unavailable(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (PORTICO_TEST_REQUIRE=1) but unavailable", what)
	}
	t.Skipf("skipping: %s", what)
}

// SQLite opens a migrated embedded database in a temporary folder, closed after the test.
func SQLite(t testing.TB) *models.DB {
	t.Helper()
	return SQLiteAt(t, filepath.Join(t.TempDir(), "portico.db"))
}

// SQLiteAt opens and migrates the embedded database at path, closed after the test.
func SQLiteAt(t testing.TB, path string) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), models.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns the server URL for tests, skipping (or failing, see Required) when none
// is configured or it does not answer.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		Unavailable(t, "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		Unavailable(t, "PostgreSQL at TEST_DATABASE_URL does not answer: "+err.Error())
	}
	conn.Close(ctx)
	return u
}

var templateOnce sync.Map // fingerprint → *sync.Once-guarded error

// Postgres creates a fresh database from a migrated template (a few milliseconds, however many
// migrations) and returns it open; it is dropped after the test.
func Postgres(t testing.TB) *models.DB {
	t.Helper()
	name := NewPostgresDatabase(t)
	db, err := models.Open(context.Background(), models.Options{DatabaseURL: WithDatabase(t, name), MaxConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewPostgresDatabase creates an empty-but-migrated database and returns its name; it is
// dropped after the test. Tests that open it several times (two instances) use this.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	tmpl := "portico_tmpl_" + migrations.Fingerprint()
	if err := ensureTemplate(base, tmpl); err != nil {
		t.Fatal(err)
	}
	name := "portico_t_" + randomHex(8)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DropDatabase(base, name) })
	return name
}

// EmptyPostgresDatabase creates a database with no schema at all (to test migrations) and
// returns its URL; it is dropped after the test.
func EmptyPostgresDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	name := "portico_e_" + randomHex(8)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DropDatabase(base, name) })
	return WithDatabase(t, name)
}

// DropDatabase removes a test database, ending connections still open on it.
func DropDatabase(base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// WithDatabase returns TEST_DATABASE_URL pointed at another database on the same server.
func WithDatabase(t testing.TB, name string) string {
	t.Helper()
	u, err := url.Parse(PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// ensureTemplate creates and migrates the template database once per server and migration
// set. An advisory lock keeps test packages running in parallel from racing to build it.
func ensureTemplate(base, tmpl string) error {
	v, _ := templateOnce.LoadOrStore(tmpl, &onceErr{})
	o := v.(*onceErr)
	o.once.Do(func() { o.err = buildTemplate(base, tmpl) })
	return o.err
}

type onceErr struct {
	once sync.Once
	err  error
}

func buildTemplate(base, tmpl string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7150421874)"); err != nil {
		return err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7150421874)")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := tmpl + "_b"
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return err
	}
	u, _ := url.Parse(base)
	u.Path = "/" + building
	db, err := models.Open(ctx, models.Options{DatabaseURL: u.String(), MaxConns: 2})
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return fmt.Errorf("migrate template: %w", err)
	}
	db.Close()
	_, err = conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+tmpl)
	return err
}

// Engines runs fn once on SQLite and once on PostgreSQL, as subtests named after the engine.
func Engines(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// BenchEngines is Engines for benchmarks.
func BenchEngines(b *testing.B, fn func(b *testing.B, db *models.DB)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, Postgres(b)) })
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
