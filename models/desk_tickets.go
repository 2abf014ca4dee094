package models

import (
	"context"

	"gorm.io/gorm"
)

// Ticket reads and writes of the agents' desk. Staff see every ticket; callers are staff
// handlers behind the staff policy.

// SaveDeskFields writes the fields an agent edits (owner, team, stage, priority, category,
// properties and their times) and nothing else.
func (s *TicketStore) SaveDeskFields(ctx context.Context, t *Ticket) error {
	res := s.db.Gorm.WithContext(ctx).Model(&Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{
		"owner_id": t.OwnerID, "team_id": t.TeamID, "stage_id": t.StageID, "is_closed": t.IsClosed,
		"closed_at": t.ClosedAt, "priority": string(t.Priority), "category": t.Category, "properties": t.Properties,
		"updated_at": t.UpdatedAt, "last_activity_at": t.LastActivityAt,
	})
	if res.Error != nil {
		return mapErr("save ticket", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// MessageByID returns one message (without attachments).
func (s *TicketStore) MessageByID(ctx context.Context, id int64) (Message, error) {
	var m Message
	err := s.db.Gorm.WithContext(ctx).Omit("Attachments").Where("id = ?", id).Take(&m).Error
	return m, mapErr("message by id", err)
}

// deskMessageLimit is how many of a ticket's messages the desk shows at once, the newest.
const deskMessageLimit = 200

// TicketMessages returns a ticket's newest messages across all its threads (internal notes
// included), oldest first, with their attachments (two queries), and whether older ones exist.
func (s *TicketStore) TicketMessages(ctx context.Context, ticketID int64) ([]Message, bool, error) {
	var out []Message
	err := s.db.Gorm.WithContext(ctx).Preload("Attachments", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		Where("ticket_id = ?", ticketID).Order("created_at DESC, id DESC").Limit(deskMessageLimit + 1).Find(&out).Error
	if err != nil {
		return nil, false, mapErr("ticket messages", err)
	}
	more := len(out) > deskMessageLimit
	if more {
		out = out[:deskMessageLimit]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, more, nil
}

// Threads returns a ticket's threads, oldest first.
func (s *TicketStore) Threads(ctx context.Context, ticketID int64) ([]Thread, error) {
	var out []Thread
	err := s.db.Gorm.WithContext(ctx).Where("ticket_id = ?", ticketID).Order("created_at, id").Limit(100).Find(&out).Error
	return out, mapErr("ticket threads", err)
}

// ContactTickets returns a contact's most recently active tickets other than one, as queue rows
// (the "earlier conversations" of the desk's sidebar, D-3).
func (s *TicketStore) ContactTickets(ctx context.Context, contactID, exceptID int64, limit int) ([]DeskRow, error) {
	var rows []DeskRow
	err := s.db.Gorm.WithContext(ctx).Table("tickets").Select(deskColumns).
		Where("contact_id = ? AND id <> ?", contactID, exceptID).
		Order("last_activity_at DESC, id DESC").Limit(limit).Scan(&rows).Error
	return rows, mapErr("contact tickets", err)
}

// FirstActive returns the first active inbox of a channel, by id.
func (s *InboxStore) FirstActive(ctx context.Context, ch Channel) (Inbox, error) {
	var in Inbox
	err := s.db.Gorm.WithContext(ctx).Where("channel = ? AND active = ?", string(ch), true).Order("id").Take(&in).Error
	return in, mapErr("first active inbox", err)
}

// TeamExists reports ErrNotFound unless the team exists.
func (s *DeskStore) TeamExists(ctx context.Context, id int64) error {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Table("teams").Where("id = ?", id).Count(&n).Error
	if err != nil {
		return mapErr("team exists", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Names returns the display names of staff users and contacts by id, in two queries at most
// (none for an empty set), for lists that show who is who.
func (s *DeskStore) Names(ctx context.Context, staffIDs, contactIDs []int64) (staff, contacts map[int64]string, err error) {
	staff, contacts = map[int64]string{}, map[int64]string{}
	type row struct {
		ID   int64
		Name string
	}
	load := func(table string, ids []int64, into map[int64]string) error {
		if len(ids) == 0 {
			return nil
		}
		var rows []row
		if err := s.db.Gorm.WithContext(ctx).Table(table).Select("id, name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
			return mapErr("names", err)
		}
		for _, r := range rows {
			into[r.ID] = r.Name
		}
		return nil
	}
	if err := load("staff_users", staffIDs, staff); err != nil {
		return nil, nil, err
	}
	return staff, contacts, load("contacts", contactIDs, contacts)
}

// AttachmentByPublicID returns any attachment by its public id (staff only).
func (s *TicketStore) AttachmentByPublicID(ctx context.Context, publicID string) (Attachment, error) {
	if publicID == "" || len(publicID) > 64 {
		return Attachment{}, ErrNotFound
	}
	var a Attachment
	err := s.db.Gorm.WithContext(ctx).Where("public_id = ?", publicID).Take(&a).Error
	return a, mapErr("attachment", err)
}
