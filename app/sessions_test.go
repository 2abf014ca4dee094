package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// testApp is an App over db with the default session and login settings and a settable clock.
type testApp struct {
	*App
	mu  sync.Mutex
	now time.Time
}

func newTestApp(db *models.DB) *testApp {
	a := New(models.NewStores(db), nil, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
		BaseURL: "http://localhost:8080", SessionIdle: 30 * time.Minute, SessionLifetime: 12 * time.Hour,
		LoginMaxFailures: 5, LoginWindow: 15 * time.Minute,
	})
	ta := &testApp{App: a, now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	a.Now = func() time.Time {
		ta.mu.Lock()
		defer ta.mu.Unlock()
		return ta.now
	}
	return ta
}

func (a *testApp) advance(d time.Duration) {
	a.mu.Lock()
	a.now = a.now.Add(d)
	a.mu.Unlock()
}

func countTable(t *testing.T, db *models.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()

		token, err := a.StartSession(ctx, models.KindStaff, 7, "203.0.113.1", "test-agent")
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 43 {
			t.Fatalf("token %q is not 256 bits in base64url", token)
		}
		sess, err := a.ResolveSession(ctx, token, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sess.UserKind != models.KindStaff || sess.UserID != 7 || sess.IP != "203.0.113.1" || sess.UserAgent != "test-agent" {
			t.Fatalf("resolved %+v", sess)
		}
		if !sess.ExpiresAt.Equal(a.Now().Add(12 * time.Hour)) {
			t.Fatalf("expires at %s, want created + 12h", sess.ExpiresAt)
		}
		// Only the hash is stored.
		var n int64
		if err := db.Gorm.Table("sessions").Where("token_hash = ?", token).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("the raw token is stored as a key (n=%d, err %v)", n, err)
		}

		for _, bad := range []string{"", NewToken(), token + "x", string(make([]byte, 200))} {
			if _, err := a.ResolveSession(ctx, bad, 0); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ResolveSession(%q) = %v, want ErrNotFound", bad, err)
			}
		}

		if err := a.EndSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := a.ResolveSession(ctx, token, 0); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("ended session still resolves: %v", err)
		}
		for _, tok := range []string{token, "", NewToken()} {
			if err := a.EndSession(ctx, tok); err != nil {
				t.Fatalf("EndSession of an unknown token: %v", err)
			}
		}
	})
}

func TestEndOtherSessions(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		start := func(kind models.UserKind, id int64) string {
			tok, err := a.StartSession(ctx, kind, id, "", "")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		mine := []string{start(models.KindStaff, 1), start(models.KindStaff, 1), start(models.KindStaff, 1)}
		other := start(models.KindStaff, 2)
		contact := start(models.KindContact, 1) // same id, other kind of user

		n, err := a.EndOtherSessions(ctx, models.KindStaff, 1, mine[0])
		if err != nil || n != 2 {
			t.Fatalf("EndOtherSessions = %d, %v; want 2", n, err)
		}
		if _, err := a.ResolveSession(ctx, mine[0], 0); err != nil {
			t.Fatalf("the kept session was ended: %v", err)
		}
		for _, tok := range mine[1:] {
			if _, err := a.ResolveSession(ctx, tok, 0); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another session of the user survived: %v", err)
			}
		}
		for _, tok := range []string{other, contact} {
			if _, err := a.ResolveSession(ctx, tok, 0); err != nil {
				t.Fatalf("someone else's session was ended: %v", err)
			}
		}
		if n, err := a.EndOtherSessions(ctx, models.KindStaff, 1, ""); err != nil || n != 1 {
			t.Fatalf("EndOtherSessions without a kept session = %d, %v; want 1", n, err)
		}
		if c, _ := a.Stores.Sessions.CountForUser(ctx, models.KindStaff, 1); c != 0 {
			t.Fatalf("%d sessions left", c)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		cases := []struct {
			name  string
			steps []time.Duration // time between resolves; the last one is checked
			alive bool
		}{
			{"idle just under 30 min", []time.Duration{29*time.Minute + 59*time.Second}, true},
			{"idle 30 min + 1 s", []time.Duration{30*time.Minute + time.Second}, false},
			{"active every 20 min for 11 h 40 min", repeat(20*time.Minute, 35), true},
			{"active every 20 min until 12 h", append(repeat(20*time.Minute, 35), 20*time.Minute), false},
			// Activity is written at most once a minute, so idle expiry may come up to a minute
			// early, never late: 59 s after a touch does not move the idle window.
			{"touch granularity", []time.Duration{10 * time.Minute, 59 * time.Second, 29*time.Minute + 2*time.Second}, false},
			{"touch after a minute", []time.Duration{10 * time.Minute, time.Minute, 29*time.Minute + 59*time.Second}, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := newTestApp(db)
				tok, err := a.StartSession(ctx, models.KindStaff, 1, "", "")
				if err != nil {
					t.Fatal(err)
				}
				for i, d := range tc.steps {
					a.advance(d)
					_, err := a.ResolveSession(ctx, tok, 0)
					if i < len(tc.steps)-1 && err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if i == len(tc.steps)-1 {
						if tc.alive && err != nil {
							t.Fatalf("session ended: %v", err)
						}
						if !tc.alive && !errors.Is(err, models.ErrNotFound) {
							t.Fatalf("session still alive (err %v)", err)
						}
					}
				}
				// An expired session is deleted on the way.
				_, err = a.Stores.Sessions.Get(ctx, HashToken(tok))
				if gone := errors.Is(err, models.ErrNotFound); gone == tc.alive {
					t.Fatalf("row present = %v after resolve, want %v", !gone, tc.alive)
				}
				a.EndSession(ctx, tok)
			})
		}
	})
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		start := func() string {
			tok, err := a.StartSession(ctx, models.KindStaff, 1, "", "")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		t0 := a.Now()
		old := start() // kept active until it passes its absolute end
		a.advance(5 * time.Minute)
		idle := start() // goes idle
		for a.Now().Before(t0.Add(12 * time.Hour)) {
			if _, err := a.ResolveSession(ctx, old, 0); err != nil {
				t.Fatalf("at %s: %v", a.Now().Sub(t0), err)
			}
			a.advance(20 * time.Minute)
		}
		live := start()
		if _, _, err := a.Stores.RateLimits.Hit(ctx, "done", time.Minute, a.Now().Add(-2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Stores.RateLimits.Hit(ctx, "open", time.Hour, a.Now()); err != nil {
			t.Fatal(err)
		}
		if n := countTable(t, db, "sessions"); n != 3 {
			t.Fatalf("%d sessions before cleanup, want 3", n)
		}

		if err := a.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"past its absolute end": old, "idle": idle} {
			if _, err := a.Stores.Sessions.Get(ctx, HashToken(tok)); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("session %s survived cleanup (err %v)", name, err)
			}
		}
		if _, err := a.Stores.Sessions.Get(ctx, HashToken(live)); err != nil {
			t.Errorf("live session removed by cleanup: %v", err)
		}
		var keys []string
		if err := db.Gorm.Table("rate_limits").Pluck("key", &keys).Error; err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != "open" {
			t.Errorf("rate-limit windows after cleanup: %q, want [open]", keys)
		}
	})
}

func TestRateLimitHit(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		rl := a.Stores.RateLimits
		const window = 15 * time.Minute
		t0 := a.Now()
		var firstReset time.Time
		for i := 1; i <= 3; i++ {
			n, reset, err := rl.Hit(ctx, "k", window, a.Now())
			if err != nil {
				t.Fatal(err)
			}
			if n != i {
				t.Fatalf("hit %d counted %d", i, n)
			}
			if i == 1 {
				firstReset = reset
			}
			if !reset.Equal(t0.Add(window)) || !reset.Equal(firstReset) {
				t.Fatalf("hit %d: window ends %s, want %s (fixed from the first hit)", i, reset, t0.Add(window))
			}
			a.advance(time.Minute)
		}
		if n, _, err := rl.Peek(ctx, "k", a.Now()); err != nil || n != 3 {
			t.Fatalf("Peek = %d, %v; want 3 (and Peek does not count)", n, err)
		}
		if n, _, _ := rl.Peek(ctx, "other", a.Now()); n != 0 {
			t.Fatalf("Peek of an unknown key = %d", n)
		}
		// At the end of the window the count starts again.
		a.advance(window)
		if n, _, _ := rl.Peek(ctx, "k", a.Now()); n != 0 {
			t.Fatalf("Peek after the window = %d, want 0", n)
		}
		n, reset, err := rl.Hit(ctx, "k", window, a.Now())
		if err != nil || n != 1 || !reset.Equal(a.Now().Add(window)) {
			t.Fatalf("first hit of a new window = %d, %s, %v; want 1, %s", n, reset, err, a.Now().Add(window))
		}
		if err := rl.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := rl.Peek(ctx, "k", a.Now()); n != 0 {
			t.Fatalf("Peek after Reset = %d", n)
		}
	})
}

func TestRateLimitHitConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		const workers = 20
		at := a.Now()
		counts := make([]int, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		startGate := make(chan struct{})
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-startGate
				counts[i], _, errs[i] = a.Stores.RateLimits.Hit(ctx, "login:concurrent", time.Hour, at)
			}(i)
		}
		close(startGate)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("worker %d: %v", i, err)
			}
		}
		sort.Ints(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("counts %v, want each of 1…%d exactly once", counts, workers)
			}
		}
		if n, _, err := a.Stores.RateLimits.Peek(ctx, "login:concurrent", at); err != nil || n != workers {
			t.Fatalf("Peek = %d, %v; want %d", n, err, workers)
		}
	})
}

func TestStaffSignInThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		if _, err := a.CreateStaff(ctx, NewStaff{Email: "ada@example.com", Password: "correct horse battery", Role: models.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := a.StaffSignIn(ctx, "ada@example.com", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		var te *ThrottledError
		if _, err := a.StaffSignIn(ctx, "ADA@example.com ", "correct horse battery", "192.0.2.2"); !errors.As(err, &te) {
			t.Fatalf("6th attempt (other case and address): %v, want ThrottledError", err)
		}
		if te.RetryAfter <= 0 || te.RetryAfter > 15*time.Minute+time.Second {
			t.Fatalf("RetryAfter = %s", te.RetryAfter)
		}
		a.advance(15 * time.Minute)
		if _, err := a.StaffSignIn(ctx, "ada@example.com", "correct horse battery", "192.0.2.1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}
