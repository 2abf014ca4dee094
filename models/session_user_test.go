package models_test

import (
	"context"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

// GetWithUser reads the session and the account its kind names, and nothing for an account
// that is gone.
func TestSessionGetWithUser(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		co := models.Company{Name: "Acme"}
		must(t, s.Companies.Create(ctx, &co))
		c := models.Contact{Email: "ann@example.com", Name: "Ann", Active: true, CompanyID: &co.ID,
			Properties: models.Props{"tier": "gold"}, EmailVerifiedAt: &now}
		must(t, s.Contacts.Create(ctx, &c))
		u := models.StaffUser{Email: "agent@example.com", Name: "Agent", Role: models.RoleAgent, PasswordHash: "h", Active: true}
		must(t, s.Staff.Create(ctx, &u))
		for _, sess := range []models.Session{
			{TokenHash: "c", UserKind: models.KindContact, UserID: c.ID},
			{TokenHash: "u", UserKind: models.KindStaff, UserID: u.ID},
			{TokenHash: "x", UserKind: models.KindContact, UserID: 999999},
		} {
			sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = now, now, now.Add(time.Hour)
			must(t, s.Sessions.Create(ctx, &sess))
		}
		got, err := s.Sessions.GetWithUser(ctx, "c")
		if err != nil || got.Staff != nil || got.Contact == nil || got.Contact.Email != c.Email || *got.Contact.CompanyID != co.ID ||
			got.Contact.Properties["tier"] != "gold" || got.Contact.EmailVerifiedAt == nil || !got.Contact.Active || got.UserID != c.ID {
			t.Fatalf("contact session: %+v %+v, %v", got, got.Contact, err)
		}
		got, err = s.Sessions.GetWithUser(ctx, "u")
		if err != nil || got.Contact != nil || got.Staff == nil || got.Staff.Role != models.RoleAgent || got.Staff.PasswordHash != "h" {
			t.Fatalf("staff session: %+v, %v", got, err)
		}
		got, err = s.Sessions.GetWithUser(ctx, "x")
		if err != nil || got.Contact != nil || got.Staff != nil {
			t.Fatalf("session of a missing contact: %+v, %v", got, err)
		}
		if _, err := s.Sessions.GetWithUser(ctx, "nope"); err != models.ErrNotFound {
			t.Fatalf("unknown session: %v", err)
		}
	})
}
