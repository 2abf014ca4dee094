package models

import "context"

// ListSummary is a contact list with the number of contacts on it, for pickers.
type ListSummary struct {
	ID      int64
	Name    string
	Kind    ListKind
	Members int64 // rows in contact_list_members (chosen members of a static list)
}

// Lists returns every contact list with its member count, by name, in one query.
func (s *ContactStore) Lists(ctx context.Context) ([]ListSummary, error) {
	var out []ListSummary
	err := s.db.Gorm.WithContext(ctx).Table("contact_lists AS l").
		Select("l.id, l.name, l.kind, COUNT(m.contact_id) AS members").
		Joins("LEFT JOIN contact_list_members AS m ON m.list_id = l.id").
		Group("l.id, l.name, l.kind").
		Order("LOWER(l.name), l.id").
		Scan(&out).Error
	return out, mapErr("contact lists", err)
}
