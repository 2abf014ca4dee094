package models

import (
	"context"
	"strings"
	"time"
)

// ListSummary is a contact list with the number of contacts on it, for pickers.
type ListSummary struct {
	ID      int64
	Name    string
	Kind    ListKind
	Members int64 // chosen members of a static list; contacts matching an active list's rule now
}

// Lists returns every contact list with its member count, by name: one query for the lists
// and one for every count (static lists grouped, each active list's rule counted, UNION ALL).
func (s *ContactStore) Lists(ctx context.Context) ([]ListSummary, error) {
	var lists []ContactList
	err := s.db.Gorm.WithContext(ctx).Order("LOWER(name), id").Find(&lists).Error
	if err != nil {
		return nil, mapErr("contact lists", err)
	}
	counts, err := s.countMembers(ctx, lists)
	if err != nil {
		return nil, err
	}
	out := make([]ListSummary, len(lists))
	for i, l := range lists {
		out[i] = ListSummary{ID: l.ID, Name: l.Name, Kind: l.Kind, Members: counts[l.ID]}
	}
	return out, nil
}

// countMembers counts the members of each list in one statement.
func (s *ContactStore) countMembers(ctx context.Context, lists []ContactList) (map[int64]int64, error) {
	out := map[int64]int64{}
	var parts []string
	var args []any
	var static []int64
	for _, l := range lists {
		if l.Kind != ListActive {
			static = append(static, l.ID)
			continue
		}
		where, a, err := listWhere(s.db.Dialect, l)
		if err != nil {
			return nil, err
		}
		parts = append(parts, "SELECT CAST(? AS BIGINT) AS id, COUNT(*) AS n FROM contacts c WHERE "+where)
		args = append(append(args, l.ID), a...)
	}
	if len(static) > 0 {
		parts = append(parts, "SELECT list_id AS id, COUNT(*) AS n FROM contact_list_members WHERE list_id IN ? GROUP BY list_id")
		args = append(args, static)
	}
	if len(parts) == 0 {
		return out, nil
	}
	var rows []struct {
		ID int64
		N  int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(strings.Join(parts, " UNION ALL "), args...).Scan(&rows).Error
	if err != nil {
		return nil, mapErr("count list members", err)
	}
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out, nil
}

// ListByID returns one contact list.
func (s *ContactStore) ListByID(ctx context.Context, id int64) (ContactList, error) {
	var l ContactList
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&l).Error
	return l, mapErr("contact list by id", err)
}

// UpdateList saves a list's name and rule (its kind is fixed when it is made); a taken name
// returns ErrConflict.
func (s *ContactStore) UpdateList(ctx context.Context, l ContactList, t time.Time) error {
	if l.Rule == nil {
		l.Rule = Props{}
	}
	res := s.db.Gorm.WithContext(ctx).Model(&ContactList{}).Where("id = ?", l.ID).
		Updates(map[string]any{"name": l.Name, "rule": l.Rule, "updated_at": t})
	if res.Error != nil {
		return mapErr("update contact list", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteList removes a list and its membership rows; the contacts stay.
func (s *ContactStore) DeleteList(ctx context.Context, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&ContactList{})
	if res.Error != nil {
		return mapErr("delete contact list", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// RemoveFromList takes contacts off a static list in one statement.
func (s *ContactStore) RemoveFromList(ctx context.Context, listID int64, contactIDs []int64) error {
	if len(contactIDs) == 0 {
		return nil
	}
	err := s.db.Gorm.WithContext(ctx).Where("list_id = ? AND contact_id IN ?", listID, contactIDs).
		Delete(&ContactListMember{}).Error
	return mapErr("remove from list", err)
}

// ListsOf returns the lists a contact is on, by name: the static lists that chose them and
// the active lists whose rule they match now, in one statement after the lists are read.
func (s *ContactStore) ListsOf(ctx context.Context, contactID int64) ([]ListSummary, error) {
	var lists []ContactList
	if err := s.db.Gorm.WithContext(ctx).Order("LOWER(name), id").Find(&lists).Error; err != nil {
		return nil, mapErr("contact lists", err)
	}
	parts := []string{"SELECT list_id AS id FROM contact_list_members WHERE contact_id = ?"}
	args := []any{contactID}
	for _, l := range lists {
		if l.Kind != ListActive {
			continue
		}
		where, a, err := listWhere(s.db.Dialect, l)
		if err != nil {
			return nil, err
		}
		parts = append(parts, "SELECT CAST(? AS BIGINT) AS id FROM contacts c WHERE c.id = ? AND "+where)
		args = append(append(args, l.ID, contactID), a...)
	}
	var ids []int64
	if err := s.db.Gorm.WithContext(ctx).Raw(strings.Join(parts, " UNION ALL "), args...).Scan(&ids).Error; err != nil {
		return nil, mapErr("lists of contact", err)
	}
	on := map[int64]bool{}
	for _, id := range ids {
		on[id] = true
	}
	var out []ListSummary
	for _, l := range lists {
		if on[l.ID] {
			out = append(out, ListSummary{ID: l.ID, Name: l.Name, Kind: l.Kind})
		}
	}
	return out, nil
}
