package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"portico/app"
	"portico/models"
	"portico/models/dbtest"
)

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := app.HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	h, _ := app.HashPassword("correct horse battery staple")
	for b.Loop() {
		if !app.CheckPassword(h, "correct horse battery staple") {
			b.Fatal("no match")
		}
	}
}

// BenchmarkResolveSession is the per-request cost of a signed-in page before the handler runs.
func BenchmarkResolveSession(b *testing.B) {
	dbtest.BenchEngines(b, func(b *testing.B, db *models.DB) {
		a := app.New(models.NewStores(db), nil, slog.New(slog.NewTextHandler(io.Discard, nil)),
			app.Options{SessionIdle: time.Hour, SessionLifetime: 12 * time.Hour})
		ctx := context.Background()
		token, err := a.StartSession(ctx, models.KindStaff, 1, "127.0.0.1", "bench")
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.ResolveSession(ctx, token, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
