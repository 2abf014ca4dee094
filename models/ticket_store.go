package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// TicketStore reads and writes tickets with their threads, messages and attachments.
type TicketStore struct{ db *DB }

// reserveNumbers takes n consecutive public ticket numbers inside tx and returns the first.
// The counter row is locked until tx ends, so numbers are never handed out twice.
func reserveNumbers(tx *gorm.DB, n int) (int64, error) {
	var last int64
	err := tx.Raw(`UPDATE counters SET value = value + ? WHERE name = 'ticket_number' RETURNING value`, n).
		Scan(&last).Error
	if err != nil {
		return 0, err
	}
	return last - int64(n) + 1, nil
}

// Create inserts t with the next public number. The caller sets the stage and IsClosed.
func (s *TicketStore) Create(ctx context.Context, t *Ticket) error {
	return mapTicketErr("create ticket", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		return createTickets(tx, []*Ticket{t})
	}))
}

// CreateBatch inserts many tickets in one transaction with batched statements (demo volume).
func (s *TicketStore) CreateBatch(ctx context.Context, ts []*Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	return mapTicketErr("create tickets", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		return createTickets(tx, ts)
	}))
}

func createTickets(tx *gorm.DB, ts []*Ticket) error {
	if err := applyStages(tx, ts); err != nil {
		return err
	}
	first, err := reserveNumbers(tx, len(ts))
	if err != nil {
		return err
	}
	for i, t := range ts {
		t.Number = first + int64(i)
		if t.Properties == nil {
			t.Properties = Props{}
		}
		if t.Priority == "" {
			t.Priority = PriorityNormal
		}
		if t.LastActivityAt.IsZero() {
			t.LastActivityAt = now()
		}
	}
	return tx.CreateInBatches(ts, 200).Error
}

// applyStages checks that every ticket's stage belongs to its pipeline and copies the stage's
// open/closed state onto the ticket, so IsClosed can never drift from the stage. One query for
// all the distinct stages of a batch.
func applyStages(tx *gorm.DB, ts []*Ticket) error {
	ids := make([]int64, 0, 4)
	seen := map[int64]bool{}
	for _, t := range ts {
		if !seen[t.StageID] {
			seen[t.StageID] = true
			ids = append(ids, t.StageID)
		}
	}
	var stages []PipelineStage
	if err := tx.Where("id IN ?", ids).Find(&stages).Error; err != nil {
		return err
	}
	byID := make(map[int64]PipelineStage, len(stages))
	for _, st := range stages {
		byID[st.ID] = st
	}
	for _, t := range ts {
		st, ok := byID[t.StageID]
		if !ok || st.PipelineID != t.PipelineID {
			return Invalid("stage", "error.stage_not_in_pipeline")
		}
		t.IsClosed = st.IsClosed
	}
	return nil
}

// ByID returns one ticket (staff side: callers check access first).
func (s *TicketStore) ByID(ctx context.Context, id int64) (Ticket, error) {
	var t Ticket
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&t).Error
	return t, mapErr("ticket by id", err)
}

// ByNumber returns the ticket with that public number.
func (s *TicketStore) ByNumber(ctx context.Context, number int64) (Ticket, error) {
	var t Ticket
	err := s.db.Gorm.WithContext(ctx).Where("number = ?", number).Take(&t).Error
	return t, mapErr("ticket by number", err)
}

// Count counts every ticket.
func (s *TicketStore) Count(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&Ticket{}).Count(&n).Error
	return n, mapErr("count tickets", err)
}

// CreateThread starts a conversation thread on a ticket.
func (s *TicketStore) CreateThread(ctx context.Context, th *Thread) error {
	if th.LastMessageAt.IsZero() {
		th.LastMessageAt = th.CreatedAt
	}
	return mapErr("create thread", s.db.Gorm.WithContext(ctx).Create(th).Error)
}

// AddMessage stores a message and its attachments and bumps the thread's and ticket's activity
// times, in one transaction. Internal notes do not count as customer-visible activity.
func (s *TicketStore) AddMessage(ctx context.Context, m *Message) error {
	return mapErr("add message", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		return addMessage(tx, m)
	}))
}

func addMessage(tx *gorm.DB, m *Message) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now()
	}
	if err := tx.Omit("Attachments").Create(m).Error; err != nil {
		return err
	}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.MessageID, a.TicketID = &m.ID, &m.TicketID
		if err := tx.Create(a).Error; err != nil {
			return err
		}
	}
	// Guarded like the ticket below: a message imported out of order never moves times back.
	if err := tx.Model(&Thread{}).Where("id = ? AND last_message_at < ?", m.ThreadID, m.CreatedAt).
		Update("last_message_at", m.CreatedAt).Error; err != nil {
		return err
	}
	if m.IsInternal {
		return nil
	}
	return tx.Model(&Ticket{}).Where("id = ? AND last_activity_at < ?", m.TicketID, m.CreatedAt).
		Updates(map[string]any{"last_activity_at": m.CreatedAt, "updated_at": m.CreatedAt}).Error
}

// InsertMessages stores many messages (without attachments) in batched statements; demo volume
// only: it does not bump activity times.
func (s *TicketStore) InsertMessages(ctx context.Context, ms []*Message) error {
	if len(ms) == 0 {
		return nil
	}
	return mapErr("insert messages", s.db.Gorm.WithContext(ctx).Omit("Attachments").CreateInBatches(ms, 500).Error)
}

// InsertThreads stores many threads in batched statements (demo volume).
func (s *TicketStore) InsertThreads(ctx context.Context, ths []*Thread) error {
	if len(ths) == 0 {
		return nil
	}
	return mapErr("insert threads", s.db.Gorm.WithContext(ctx).CreateInBatches(ths, 500).Error)
}

// LatestThread returns the ticket's most recent thread.
func (s *TicketStore) LatestThread(ctx context.Context, ticketID int64) (Thread, error) {
	var th Thread
	err := s.db.Gorm.WithContext(ctx).Where("ticket_id = ?", ticketID).
		Order("created_at DESC, id DESC").Take(&th).Error
	return th, mapErr("latest thread", err)
}

// Messages returns a thread's messages in order with their attachments (two queries however
// many messages). includeInternal is false for every customer-facing caller.
func (s *TicketStore) Messages(ctx context.Context, threadID int64, includeInternal bool) ([]Message, error) {
	return s.threadMessages(ctx, threadID, includeInternal)
}

// Recent returns the most recently active tickets, newest first, at most limit.
func (s *TicketStore) Recent(ctx context.Context, limit int) ([]Ticket, error) {
	var out []Ticket
	err := s.db.Gorm.WithContext(ctx).Order("last_activity_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, mapErr("recent tickets", err)
}

// SetActivity overwrites a ticket's activity times (demo data backdating).
func (s *TicketStore) SetActivity(ctx context.Context, id int64, created, last time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Model(&Ticket{}).Where("id = ?", id).
		Updates(map[string]any{"created_at": created, "last_activity_at": last, "updated_at": last}).Error
	return mapErr("set ticket activity", err)
}

// mapTicketErr keeps validation errors from applyStages as they are.
func mapTicketErr(op string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return mapErr(op, err)
}
