package models_test

import (
	"context"
	"testing"

	"portico/models"
	"portico/models/dbtest"
)

// Settings saved before KBShowPortalLink existed have no such key: the link stays on (SPEC K-2).
func TestKBShowPortalLinkDefaultsOn(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		st := models.NewStores(db).Settings
		p, err := st.Portal(ctx)
		if err != nil || !p.KBShowPortalLink {
			t.Fatalf("fresh install: %v, %v", p.KBShowPortalLink, err)
		}
		old := map[string]any{"title": "Old portal", "slug": "help", "enabled": true, "language": "en",
			"idle_minutes": 30, "access_mode": models.AccessSelfRegistration}
		if err := st.Put(ctx, "portal", old); err != nil {
			t.Fatal(err)
		}
		if p, err = st.Portal(ctx); err != nil || !p.KBShowPortalLink || p.Title != "Old portal" {
			t.Fatalf("settings without the key: %+v, %v", p, err)
		}
		p.KBShowPortalLink = false
		if err := st.SavePortal(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p, _ = st.Portal(ctx); p.KBShowPortalLink {
			t.Fatal("turned off, read back on")
		}
	})
}
