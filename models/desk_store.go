package models

import (
	"context"
	"time"
)

// DeskStore keeps what the agents' desk adds around tickets: timeline events, saved views and
// notifications.
type DeskStore struct{ db *DB }

// Timeline event kinds (SPEC D-8). Messages are not events: the timeline reads them from the
// messages table and merges them in.
const (
	EventAssigned = "assigned" // owner changed: data from/to staff ids ("" for nobody)
	EventTeam     = "team"     // team changed: data from/to team ids
	EventStatus   = "status"   // stage changed: data from/to stage ids
	EventProperty = "property" // a property changed: data key, from, to
	EventChannel  = "channel"  // a reply went out on another channel than its thread's: data to
)

// TicketEvent is one thing that happened to a ticket, for its timeline.
type TicketEvent struct {
	ID             int64
	TicketID       int64
	Kind           string
	ActorStaffID   *int64
	ActorContactID *int64
	Data           Props
	CreatedAt      time.Time
}

// TableName maps TicketEvent to its table.
func (TicketEvent) TableName() string { return "ticket_events" }

// maxTimelineEvents bounds one ticket's event read; a ticket with more shows the newest.
const maxTimelineEvents = 500

// AddEvents records timeline events (in the caller's transaction when called on InTx stores).
func (s *DeskStore) AddEvents(ctx context.Context, evs []TicketEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return mapErr("add ticket events", s.db.Gorm.WithContext(ctx).Create(&evs).Error)
}

// Events returns a ticket's timeline events, oldest first (the newest maxTimelineEvents).
func (s *DeskStore) Events(ctx context.Context, ticketID int64) ([]TicketEvent, error) {
	var evs []TicketEvent
	err := s.db.Gorm.WithContext(ctx).Where("ticket_id = ?", ticketID).
		Order("created_at DESC, id DESC").Limit(maxTimelineEvents).Find(&evs).Error
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs, mapErr("ticket events", err)
}

// DeskView is a saved queue filter (SPEC D-2). StaffID nil is a view shared with every agent.
type DeskView struct {
	ID        int64
	StaffID   *int64
	Name      string
	Filters   Props
	Position  int
	CreatedAt time.Time
}

// TableName maps DeskView to its table.
func (DeskView) TableName() string { return "desk_views" }

// maxDeskViews bounds the views one agent may keep (their own plus shared ones shown).
const maxDeskViews = 50

// Views returns the views an agent sees: their own and the shared ones, in position order.
func (s *DeskStore) Views(ctx context.Context, staffID int64) ([]DeskView, error) {
	var vs []DeskView
	err := s.db.Gorm.WithContext(ctx).Where("staff_id = ? OR staff_id IS NULL", staffID).
		Order("position, id").Limit(maxDeskViews).Find(&vs).Error
	return vs, mapErr("desk views", err)
}

// View returns one view the agent may use (their own or a shared one), or ErrNotFound.
func (s *DeskStore) View(ctx context.Context, staffID, id int64) (DeskView, error) {
	var v DeskView
	err := s.db.Gorm.WithContext(ctx).Where("id = ? AND (staff_id = ? OR staff_id IS NULL)", id, staffID).Take(&v).Error
	return v, mapErr("desk view", err)
}

// SaveView stores a new view. The name must be 1–80 characters; an agent keeps at most
// maxDeskViews views.
func (s *DeskStore) SaveView(ctx context.Context, v *DeskView) error {
	if n := len([]rune(v.Name)); n == 0 || n > 80 {
		return Invalid("name", "error.view_name")
	}
	var n int64
	q := s.db.Gorm.WithContext(ctx).Model(&DeskView{})
	if v.StaffID != nil {
		q = q.Where("staff_id = ?", *v.StaffID)
	} else {
		q = q.Where("staff_id IS NULL")
	}
	if err := q.Count(&n).Error; err != nil {
		return mapErr("count desk views", err)
	}
	if n >= maxDeskViews {
		return Invalid("name", "error.too_many_views")
	}
	v.Position = int(n)
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now()
	}
	return mapErr("save desk view", s.db.Gorm.WithContext(ctx).Create(v).Error)
}

// DeleteView removes one of the agent's own views (shared views only when admin is true).
func (s *DeskStore) DeleteView(ctx context.Context, staffID, id int64, admin bool) error {
	q := s.db.Gorm.WithContext(ctx).Where("id = ?", id)
	if admin {
		q = q.Where("staff_id = ? OR staff_id IS NULL", staffID)
	} else {
		q = q.Where("staff_id = ?", staffID)
	}
	res := q.Delete(&DeskView{})
	if res.Error != nil {
		return mapErr("delete desk view", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// StaffNotification tells a staff user something happened on a ticket (SPEC D-9).
type StaffNotification struct {
	ID        int64
	StaffID   int64
	TicketID  int64
	MessageID *int64
	Kind      string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// TableName maps StaffNotification to its table.
func (StaffNotification) TableName() string { return "staff_notifications" }

// Notify stores a notification.
func (s *DeskStore) Notify(ctx context.Context, n *StaffNotification) error {
	return mapErr("notify", s.db.Gorm.WithContext(ctx).Create(n).Error)
}

// NotificationRow is an unread notification with its ticket's reference and subject.
type NotificationRow struct {
	ID        int64
	TicketID  int64
	Number    int64
	Subject   string
	Kind      string
	CreatedAt time.Time
}

// Ref is the ticket's public reference.
func (r NotificationRow) Ref() string { return FormatRef(r.Number) }

// Unread returns a staff user's newest unread notifications (at most limit) and how many
// unread there are in all, capped at 100 (the badge shows "99+").
func (s *DeskStore) Unread(ctx context.Context, staffID int64, limit int) ([]NotificationRow, int, error) {
	var rows []NotificationRow
	err := s.db.Gorm.WithContext(ctx).Table("staff_notifications").
		Select("staff_notifications.id, staff_notifications.ticket_id, tickets.number, tickets.subject, staff_notifications.kind, staff_notifications.created_at").
		Joins("JOIN tickets ON tickets.id = staff_notifications.ticket_id").
		Where("staff_notifications.staff_id = ? AND staff_notifications.read_at IS NULL", staffID).
		Order("staff_notifications.id DESC").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, 0, mapErr("unread notifications", err)
	}
	if len(rows) < limit {
		return rows, len(rows), nil
	}
	n, err := s.UnreadCount(ctx, staffID)
	return rows, n, err
}

// UnreadCount counts a staff user's unread notifications, capped at 100 (the badge shows
// "99+"): one statement that reads at most 100 index entries.
func (s *DeskStore) UnreadCount(ctx context.Context, staffID int64) (int, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(
		"SELECT COUNT(*) FROM (SELECT 1 FROM staff_notifications WHERE staff_id = ? AND read_at IS NULL LIMIT 100) AS u",
		staffID).Scan(&n).Error
	return int(n), mapErr("count notifications", err)
}

// MarkRead marks a staff user's notifications about one ticket as read (opening the ticket
// reads them). It reports how many changed.
func (s *DeskStore) MarkRead(ctx context.Context, staffID, ticketID int64, at time.Time) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).Model(&StaffNotification{}).
		Where("staff_id = ? AND ticket_id = ? AND read_at IS NULL", staffID, ticketID).
		Update("read_at", at)
	return res.RowsAffected, mapErr("mark notifications read", res.Error)
}
