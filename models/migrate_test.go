package models_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"portico/models"
	"portico/models/dbtest"
	"portico/models/migrations"
)

func TestMigrateTwiceIsNoop(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", applied)
		}
		pending, err := db.Pending(context.Background())
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending = %v, %v", pending, err)
		}
	})
}

// Two instances starting at once on one fresh database must both come up with one schema.
func TestMigrateConcurrentStarts(t *testing.T) {
	run := func(t *testing.T, open func() *models.DB) {
		const n = 4
		var wg sync.WaitGroup
		results := make([][]string, n)
		errs := make([]error, n)
		for i := range n {
			db := open()
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = db.Migrate(context.Background())
			}()
		}
		wg.Wait()
		total := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("instance %d: %v", i, errs[i])
			}
			total += len(results[i])
		}
		if total != len(migrations.All) {
			t.Fatalf("migrations applied %d times in all, want %d (each exactly once)", total, len(migrations.All))
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "portico.db")
		run(t, func() *models.DB {
			db, err := models.Open(context.Background(), models.Options{SQLitePath: path})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := dbtest.EmptyPostgresDatabase(t)
		run(t, func() *models.DB {
			db, err := models.Open(context.Background(), models.Options{DatabaseURL: url, MaxConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}

func TestStatementsSplit(t *testing.T) {
	got := migrations.Statements("-- c\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\nSELECT 1")
	want := []string{"CREATE TABLE a (x INT);", "INSERT INTO a VALUES (1);", "SELECT 1"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestExpandRejectsUnknownMacro(t *testing.T) {
	if _, err := migrations.Expand("CREATE TABLE a (x {{nope}})", "sqlite"); err == nil {
		t.Fatal("unknown macro accepted")
	}
	if _, err := migrations.Expand("x", "oracle"); err == nil {
		t.Fatal("unknown dialect accepted")
	}
}
