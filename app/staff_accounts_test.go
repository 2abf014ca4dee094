package app

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

var staffLinkRe = regexp.MustCompile(`http://localhost:8080/(staff/invite|password/reset)/([A-Za-z0-9_-]{43})`)

// mailedToken returns the token of the newest staff link e-mailed to an address.
func mailedToken(t *testing.T, db *models.DB, to string) string {
	t.Helper()
	var text string
	if err := db.Gorm.Raw(`SELECT text_body FROM outbox_emails WHERE to_addr = ? ORDER BY id DESC LIMIT 1`, to).Scan(&text).Error; err != nil {
		t.Fatal(err)
	}
	m := staffLinkRe.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no staff link in the e-mail to %s:\n%s", to, text)
	}
	return m[2]
}

func TestInviteStaffStoresOnlyTheHash(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		ada, err := a.CreateStaff(ctx, NewStaff{Email: "ada@example.com", Name: "Ada", Password: "correct horse battery", Role: models.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		// A refused invitation leaves nothing behind: no user, no token, no e-mail.
		_, err = a.InviteStaff(ctx, ada, StaffInvite{Name: "Cy", Email: "cy@example.com", Role: models.RoleAgent, TeamIDs: []int64{999}, Lang: "en"})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != "teams" {
			t.Fatalf("invite with an unknown team: %v", err)
		}
		if n := countTable(t, db, "staff_tokens") + countTable(t, db, "outbox_emails"); n != 0 {
			t.Fatalf("a refused invitation left %d rows", n)
		}
		for _, in := range []StaffInvite{{Name: "Cy", Email: "cy", Role: models.RoleAgent}, {Name: "Cy", Email: "cy@example.com", Role: "owner"}} {
			if _, err := a.InviteStaff(ctx, ada, in); !errors.As(err, &ve) {
				t.Fatalf("invite %+v: %v", in, err)
			}
		}

		cy, err := a.InviteStaff(ctx, ada, StaffInvite{Name: "Cy", Email: "cy@example.com", Role: models.RoleAgent, Lang: "pt-BR"})
		if err != nil || cy.CanSignIn() {
			t.Fatalf("InviteStaff = %+v, %v", cy, err)
		}
		token := mailedToken(t, db, "cy@example.com")
		var row models.StaffToken
		if err := db.Gorm.Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.TokenHash != HashToken(token) || row.TokenHash == token || row.StaffID != cy.ID || row.Purpose != models.StaffTokenInvite ||
			!row.ExpiresAt.Equal(a.Now().Add(72*time.Hour)) {
			t.Fatalf("stored token %+v", row)
		}
		var subject string
		db.Gorm.Raw(`SELECT subject FROM outbox_emails WHERE to_addr = ?`, "cy@example.com").Scan(&subject)
		if subject != "Você foi convidado para o help desk Portico" {
			t.Fatalf("invitation subject %q, want the page's language", subject)
		}

		// Accepting sets the password, kills the link and the user's other sessions.
		if _, err := a.StartSession(ctx, models.KindStaff, cy.ID, "203.0.113.1", "ua"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AcceptStaffInvite(ctx, token, "short"); !errors.As(err, &ve) {
			t.Fatalf("weak password: %v", err)
		}
		u, err := a.AcceptStaffInvite(ctx, token, "cy's own passphrase")
		if err != nil || !u.CanSignIn() {
			t.Fatalf("AcceptStaffInvite = %+v, %v", u, err)
		}
		if n, _ := a.Stores.Sessions.CountForUser(ctx, models.KindStaff, cy.ID); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
		if _, err := a.AcceptStaffInvite(ctx, token, "another passphrase"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second use: %v", err)
		}
		if _, err := a.ResetStaffPassword(ctx, token, "another passphrase"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("an invitation used as a reset link: %v", err)
		}
		if _, err := a.StaffSignIn(ctx, "cy@example.com", "cy's own passphrase", "203.0.113.1"); err != nil {
			t.Fatalf("sign-in with the chosen password: %v", err)
		}
	})
}

func TestStaffResetAndDeactivation(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		a := newTestApp(db)
		ctx := context.Background()
		ada, _ := a.CreateStaff(ctx, NewStaff{Email: "ada@example.com", Name: "Ada", Password: "correct horse battery", Role: models.RoleAdmin})
		bob, _ := a.CreateStaff(ctx, NewStaff{Email: "bob@example.com", Name: "Bob", Password: "correct horse battery", Role: models.RoleAgent})

		if err := a.RequestStaffPasswordReset(ctx, "nobody@example.com", "203.0.113.9", "en"); err != nil {
			t.Fatal(err)
		}
		if n := countTable(t, db, "outbox_emails"); n != 0 {
			t.Fatalf("%d e-mails for an unknown address", n)
		}

		// Failures throttle Bob; a reset lifts the throttle.
		for range 5 {
			a.StaffSignIn(ctx, "bob@example.com", "wrong", "203.0.113.1")
		}
		var te *ThrottledError
		if _, err := a.StaffSignIn(ctx, "bob@example.com", "correct horse battery", "203.0.113.1"); !errors.As(err, &te) {
			t.Fatalf("not throttled: %v", err)
		}
		if err := a.RequestStaffPasswordReset(ctx, "Bob@Example.com", "203.0.113.9", "en"); err != nil {
			t.Fatal(err)
		}
		token := mailedToken(t, db, "bob@example.com")
		a.advance(59 * time.Minute)
		if _, err := a.ResetStaffPassword(ctx, token, "bob's new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.StaffSignIn(ctx, "bob@example.com", "bob's new passphrase", "203.0.113.1"); err != nil {
			t.Fatalf("sign-in after reset: %v", err)
		}

		// Deactivation ends sessions and links; nobody deactivates or demotes themselves.
		if err := a.RequestStaffPasswordReset(ctx, "bob@example.com", "203.0.113.9", "en"); err != nil {
			t.Fatal(err)
		}
		token = mailedToken(t, db, "bob@example.com")
		if _, err := a.StartSession(ctx, models.KindStaff, bob.ID, "203.0.113.1", "ua"); err != nil {
			t.Fatal(err)
		}
		if err := a.SetStaffActive(ctx, ada, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		if n, _ := a.Stores.Sessions.CountForUser(ctx, models.KindStaff, bob.ID); n != 0 {
			t.Fatalf("%d sessions after deactivation", n)
		}
		if err := a.SetStaffActive(ctx, ada, bob.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := a.ResetStaffPassword(ctx, token, "yet another passphrase"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a link from before the deactivation still works: %v", err)
		}
		if err := a.SetStaffActive(ctx, ada, ada.ID, false); !errors.Is(err, ErrOwnAccount) {
			t.Fatalf("self-deactivation: %v", err)
		}
		if err := a.UpdateStaff(ctx, ada, ada.ID, models.StaffProfile{Name: "Ada", Role: models.RoleAgent}); !errors.Is(err, ErrOwnAccount) {
			t.Fatalf("self-demotion: %v", err)
		}
		if got := a.StaffLink("/x"); got != "http://localhost:8080/x" {
			t.Fatalf("StaffLink = %q", got)
		}
	})
}
