package models

import "context"

// All returns every inbox by name (a handful of rows: settings pages offer them in a select).
func (s *InboxStore) All(ctx context.Context) ([]Inbox, error) {
	var out []Inbox
	err := s.db.Gorm.WithContext(ctx).Order("name, id").Find(&out).Error
	return out, mapErr("inboxes", err)
}
