package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// queueEmail writes a pending e-mail due at due.
func queueEmail(t *testing.T, s *models.Stores, subject string, created, due time.Time) models.OutboxEmail {
	t.Helper()
	e := models.OutboxEmail{ToAddr: "ana@example.com", Subject: subject, TextBody: "body of " + subject,
		Kind: "reset", Status: models.OutboxPending, NextAttemptAt: &due, CreatedAt: created}
	if err := s.Outbox.Create(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOutboxCreateAndRead(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		e := models.OutboxEmail{ToAddr: "Ana <ana@Example.com>", Subject: "Olá", TextBody: "text", HTMLBody: "<p>html</p>",
			Kind: "invite", Status: models.OutboxHeld, CreatedAt: t0}
		if err := s.Outbox.Create(ctx, &e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("no ID assigned")
		}
		got, err := s.Outbox.ByID(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ToAddr != e.ToAddr || got.Subject != "Olá" || got.TextBody != "text" || got.HTMLBody != "<p>html</p>" ||
			got.Kind != "invite" || got.Status != models.OutboxHeld || got.Attempts != 0 || !got.CreatedAt.Equal(t0) ||
			got.NextAttemptAt != nil || got.SentAt != nil || got.ClaimedUntil != nil {
			t.Fatalf("read back %+v", got)
		}
		if d := got.RecipientDomain(); d != "example.com" {
			t.Errorf("RecipientDomain = %q", d)
		}
		if _, err := s.Outbox.ByID(ctx, e.ID+1000); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown id: err = %v, want ErrNotFound", err)
		}
		bad := models.OutboxEmail{ToAddr: "a@example.com", Subject: "s", TextBody: "t", Kind: "k", Status: "queued"}
		var ve *models.ValidationError
		if err := s.Outbox.Create(ctx, &bad); !errors.As(err, &ve) || ve.Field != "status" {
			t.Errorf("unknown status: err = %v", err)
		}
		// Held e-mails are never claimed.
		if _, err := s.Outbox.Claim(ctx, t0.Add(time.Hour), time.Minute); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("claim with only held e-mails: err = %v, want ErrNotFound", err)
		}
	})
}

func TestOutboxClaimOnlyDueUnleased(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		later := queueEmail(t, s, "later", t0, t0.Add(10*time.Minute))
		first := queueEmail(t, s, "first", t0, t0.Add(-time.Minute))
		second := queueEmail(t, s, "second", t0, t0)

		got, err := s.Outbox.Claim(ctx, t0, 5*time.Minute)
		if err != nil || got.ID != first.ID {
			t.Fatalf("first claim = %d, %v; want %d (the earliest due)", got.ID, err, first.ID)
		}
		if got.Attempts != 1 || got.ClaimedUntil == nil || !got.ClaimedUntil.Equal(t0.Add(5*time.Minute)) {
			t.Fatalf("claimed row: attempts %d, lease %v", got.Attempts, got.ClaimedUntil)
		}
		if got, err = s.Outbox.Claim(ctx, t0, 5*time.Minute); err != nil || got.ID != second.ID {
			t.Fatalf("second claim = %d, %v; want %d (due exactly now)", got.ID, err, second.ID)
		}
		if _, err = s.Outbox.Claim(ctx, t0, 5*time.Minute); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("third claim: err = %v, want ErrNotFound (one leased, one not due)", err)
		}
		// After the leases run out (a crashed mailer), the rows are claimable again, counted
		// as new attempts; the future one is due by then too.
		t1 := t0.Add(11 * time.Minute)
		seen := map[int64]int{}
		for {
			e, err := s.Outbox.Claim(ctx, t1, 5*time.Minute)
			if errors.Is(err, models.ErrNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			seen[e.ID] = e.Attempts
		}
		want := map[int64]int{first.ID: 2, second.ID: 2, later.ID: 1}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("claims after the leases expired: %v, want %v", seen, want)
		}
	})
}

func TestOutboxMarks(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		a := queueEmail(t, s, "a", t0, t0)
		b := queueEmail(t, s, "b", t0, t0)
		c := queueEmail(t, s, "c", t0, t0)
		for range 3 {
			if _, err := s.Outbox.Claim(ctx, t0, time.Minute); err != nil {
				t.Fatal(err)
			}
		}

		if err := s.Outbox.MarkSent(ctx, a.ID, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Outbox.ByID(ctx, a.ID)
		if got.Status != models.OutboxSent || got.SentAt == nil || !got.SentAt.Equal(t0.Add(time.Second)) ||
			got.ClaimedUntil != nil || got.NextAttemptAt != nil || got.Attempts != 1 {
			t.Fatalf("after MarkSent: %+v", got)
		}
		if err := s.Outbox.MarkSent(ctx, a.ID, t0); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("MarkSent twice: err = %v, want ErrNotFound", err)
		}

		if err := s.Outbox.MarkFailed(ctx, c.ID, "550 no such user"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Outbox.ByID(ctx, c.ID)
		if got.Status != models.OutboxFailed || got.LastError != "550 no such user" || got.ClaimedUntil != nil || got.NextAttemptAt != nil {
			t.Fatalf("after MarkFailed: %+v", got)
		}

		next := t0.Add(5 * time.Minute)
		if err := s.Outbox.MarkRetry(ctx, b.ID, next, "451 try later"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Outbox.ByID(ctx, b.ID)
		if got.Status != models.OutboxPending || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(next) ||
			got.ClaimedUntil != nil || got.LastError != "451 try later" {
			t.Fatalf("after MarkRetry: %+v", got)
		}
		if _, err := s.Outbox.Claim(ctx, t0.Add(4*time.Minute), time.Minute); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("claim before the retry is due: err = %v", err)
		}
		if e, err := s.Outbox.Claim(ctx, next, time.Minute); err != nil || e.ID != b.ID || e.Attempts != 2 {
			t.Errorf("claim when the retry is due = %+v, %v", e, err)
		}

		if err := s.Outbox.MarkRetry(ctx, c.ID, next, "x"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("retry of a failed e-mail: err = %v, want ErrNotFound", err)
		}
	})
}

// TestOutboxConcurrentClaims: ten claimers racing over twenty due rows claim each exactly once.
func TestOutboxConcurrentClaims(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		want := map[int64]bool{}
		for i := range 20 {
			want[queueEmail(t, s, fmt.Sprint("m", i), t0, t0).ID] = true
		}
		var mu sync.Mutex
		claims := map[int64]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					e, err := s.Outbox.Claim(ctx, t0, time.Hour)
					if errors.Is(err, models.ErrNotFound) {
						return
					}
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					claims[e.ID]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(claims) != len(want) {
			t.Fatalf("%d rows claimed, want %d", len(claims), len(want))
		}
		for id, n := range claims {
			if !want[id] || n != 1 {
				t.Errorf("row %d claimed %d times", id, n)
			}
		}
	})
}

func TestOutboxListKeyset(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		// Seven e-mails: the fourth and fifth share a time (the id breaks the tie) and the last
		// one inserted carries the oldest time, so id order and time order differ.
		times := []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(3 * time.Minute),
			t0.Add(3 * time.Minute), t0.Add(4 * time.Minute), t0.Add(-time.Hour)}
		var ids []int64
		for i, at := range times {
			ids = append(ids, queueEmail(t, s, fmt.Sprint("m", i), at, at).ID)
		}
		wantOrder := []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0], ids[6]}

		var got []int64
		before, pages := int64(0), 0
		for {
			rows, more, err := s.Outbox.List(ctx, before, 3)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, r := range rows {
				if r.TextBody != "" {
					t.Fatal("the listing loads bodies")
				}
				if r.Subject == "" || r.ToAddr == "" || r.Status == "" || r.CreatedAt.IsZero() {
					t.Fatalf("listing row lacks fields: %+v", r)
				}
				got = append(got, r.ID)
			}
			if !more {
				break
			}
			before = rows[len(rows)-1].ID
		}
		if fmt.Sprint(got) != fmt.Sprint(wantOrder) || pages != 3 {
			t.Fatalf("pages %d, order %v; want 3 pages, %v", pages, got, wantOrder)
		}
		rows, more, err := s.Outbox.List(ctx, 999999, 3)
		if err != nil || len(rows) != 0 || more {
			t.Fatalf("unknown cursor: %d rows, more %v, %v", len(rows), more, err)
		}
		rows, more, err = s.Outbox.List(ctx, 0, 0)
		if err != nil || len(rows) != 7 || more {
			t.Fatalf("default page size: %d rows, more %v, %v", len(rows), more, err)
		}
	})
}

func TestOutboxRollsBackWithTransaction(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *models.Stores) error {
			e := models.OutboxEmail{ToAddr: "a@example.com", Subject: "s", TextBody: "t", Kind: "k", Status: models.OutboxHeld}
			if err := tx.Outbox.Create(ctx, &e); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		if rows, _, err := s.Outbox.List(ctx, 0, 10); err != nil || len(rows) != 0 {
			t.Fatalf("after rollback: %d rows, %v", len(rows), err)
		}
	})
}

// TestNestedFailureRollsBackTransaction: store methods inside InTx run without savepoints, so
// the first one to fail rolls the whole transaction back, even when fn carries on.
func TestNestedFailureRollsBackTransaction(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		var nested error
		err := s.InTx(ctx, func(tx *models.Stores) error {
			e := models.OutboxEmail{ToAddr: "a@example.com", Subject: "s", TextBody: "t", Kind: "k", Status: models.OutboxHeld}
			if err := tx.Outbox.Create(ctx, &e); err != nil {
				return err
			}
			// No such thread or ticket: the insert breaks a foreign key.
			nested = tx.Tickets.AddMessage(ctx, &models.Message{ThreadID: 987654, TicketID: 987654,
				AuthorKind: models.AuthorContact, Body: "orphan"})
			return nil // carries on as if nothing happened
		})
		if nested == nil {
			t.Fatal("AddMessage on a missing thread succeeded")
		}
		if err == nil {
			t.Fatal("InTx committed after a store method inside it failed")
		}
		if rows, _, err := s.Outbox.List(ctx, 0, 10); err != nil || len(rows) != 0 {
			t.Fatalf("after the failure: %d outbox rows, %v; want none", len(rows), err)
		}
	})
}
