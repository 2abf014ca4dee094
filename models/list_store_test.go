package models_test

import (
	"context"
	"testing"
	"time"

	"portico/models"
	"portico/models/dbtest"
)

func TestContactListsWithMemberCounts(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *models.DB) {
		s := models.NewStores(db)
		ctx := context.Background()
		if got, err := s.Contacts.Lists(ctx); err != nil || len(got) != 0 {
			t.Fatalf("no lists: %+v, %v", got, err)
		}
		var ids []int64
		for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			c := models.Contact{Email: e, Name: e, Active: true}
			if err := s.Contacts.Create(ctx, &c); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		mk := func(name string, kind models.ListKind, members []int64) models.ContactList {
			l := models.ContactList{Name: name, Kind: kind}
			if err := s.Contacts.CreateList(ctx, &l); err != nil {
				t.Fatal(err)
			}
			if err := s.Contacts.AddToList(ctx, l.ID, members, time.Now()); err != nil {
				t.Fatal(err)
			}
			return l
		}
		vip := mk("VIP", models.ListStatic, ids[:2])
		empty := mk("empty", models.ListStatic, nil)
		all := mk("All customers", models.ListStatic, ids)
		rule := mk("by rule", models.ListActive, nil)

		got, err := s.Contacts.Lists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []models.ListSummary{
			{ID: all.ID, Name: "All customers", Kind: models.ListStatic, Members: 3},
			{ID: rule.ID, Name: "by rule", Kind: models.ListActive, Members: 0},
			{ID: empty.ID, Name: "empty", Kind: models.ListStatic, Members: 0},
			{ID: vip.ID, Name: "VIP", Kind: models.ListStatic, Members: 2},
		}
		if len(got) != len(want) {
			t.Fatalf("Lists = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("Lists[%d] = %+v, want %+v (all: %+v)", i, got[i], want[i], got)
			}
		}
	})
}
