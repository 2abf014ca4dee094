package models

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
)

// The agents' queue (SPEC D-1, D-2): every ticket from every channel, filtered, newest activity
// first, in keyset pages. Each filter combination walks one of the activity indexes of
// migrations 0001 and 0007 in order — (is_closed | owner_id | team_id, last_activity_at, id) or
// (last_activity_at, id) — and stops at the page size; other filters (channel, pipeline,
// priority) are checked on the rows walked.

// Queue statuses.
const (
	QueueOpen   = "open"
	QueueClosed = "closed"
	QueueAll    = "all"
)

// DeskQuery is one queue request. Zero values mean "any".
type DeskQuery struct {
	Status     string // QueueOpen (the default), QueueClosed or QueueAll
	OwnerID    int64  // tickets of this owner
	Unassigned bool   // tickets without an owner (ignored when OwnerID is set)
	TeamID     int64
	NoTeam     bool
	Channel    Channel
	PipelineID int64
	Priority   Priority
	Search     string // a ticket reference, or words searched in subjects, messages and internal notes
	After      string // the cursor of the previous page's last row
	Limit      int    // page size, 1…100 (default 25)
}

// DeskRow is one queue line: only the columns the queue shows.
type DeskRow struct {
	ID             int64
	Number         int64
	Subject        string
	SourceChannel  Channel
	Priority       Priority
	StageID        int64
	IsClosed       bool
	OwnerID        *int64
	TeamID         *int64
	ContactID      *int64
	LastActivityAt time.Time
}

// Ref is the row's public reference.
func (r DeskRow) Ref() string { return FormatRef(r.Number) }

// DeskPage is one page of the queue; Next is the cursor of the following page, "" at the end.
type DeskPage struct {
	Rows []DeskRow
	Next string
}

// deskColumns are the columns of a DeskRow.
const deskColumns = "tickets.id, tickets.number, tickets.subject, tickets.source_channel, tickets.priority, " +
	"tickets.stage_id, tickets.is_closed, tickets.owner_id, tickets.team_id, tickets.contact_id, tickets.last_activity_at"

// scanDeskRow reads the deskColumns of one row.
func scanDeskRow(rs *sql.Rows, r *DeskRow) error {
	return rs.Scan(&r.ID, &r.Number, &r.Subject, &r.SourceChannel, &r.Priority, &r.StageID, &r.IsClosed, &r.OwnerID,
		&r.TeamID, &r.ContactID, &r.LastActivityAt)
}

// filtered applies a query's filters (not the cursor, not the search).
func (s *TicketStore) filtered(ctx context.Context, q DeskQuery) *gorm.DB {
	db := s.db.Gorm.WithContext(ctx).Table("tickets")
	switch q.Status {
	case QueueClosed:
		db = db.Where("tickets.is_closed = ?", true)
	case QueueAll:
	default:
		db = db.Where("tickets.is_closed = ?", false)
	}
	switch {
	case q.OwnerID != 0:
		db = db.Where("tickets.owner_id = ?", q.OwnerID)
	case q.Unassigned:
		db = db.Where("tickets.owner_id IS NULL")
	}
	switch {
	case q.TeamID != 0:
		db = db.Where("tickets.team_id = ?", q.TeamID)
	case q.NoTeam:
		db = db.Where("tickets.team_id IS NULL")
	}
	if q.Channel != "" {
		db = db.Where("tickets.source_channel = ?", string(q.Channel))
	}
	if q.PipelineID != 0 {
		db = db.Where("tickets.pipeline_id = ?", q.PipelineID)
	}
	if q.Priority != "" {
		db = db.Where("tickets.priority = ?", string(q.Priority))
	}
	return db
}

// Queue returns one page of the desk's queue. A search by reference ("T-1042" or a bare
// number) finds that ticket whatever the filters; a word search returns the newest
// TicketSearchMax matches within the filters, in one page.
func (s *TicketStore) Queue(ctx context.Context, q DeskQuery) (DeskPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	if q.Search != "" {
		return s.searchQueue(ctx, q)
	}
	db := s.filtered(ctx, q)
	if q.After != "" {
		at, id, err := decodeCursor(q.After)
		if err != nil {
			return DeskPage{}, Invalid("after", "error.cursor")
		}
		db = db.Where("(tickets.last_activity_at, tickets.id) < (?, ?)", at, id)
	}
	var rows []DeskRow
	err := scanRows(db.Select(deskColumns).Order("tickets.last_activity_at DESC, tickets.id DESC").Limit(limit+1),
		"desk queue", func(rs *sql.Rows) error {
			var r DeskRow
			err := scanDeskRow(rs, &r)
			rows = append(rows, r)
			return err
		})
	if err != nil {
		return DeskPage{}, err
	}
	page := DeskPage{Rows: rows}
	if len(rows) > limit {
		page.Rows = rows[:limit]
		last := rows[limit-1]
		page.Next = encodeCursor(last.LastActivityAt, last.ID)
	}
	return page, nil
}

// searchQueue answers a queue search (see Queue).
func (s *TicketStore) searchQueue(ctx context.Context, q DeskQuery) (DeskPage, error) {
	var rows []DeskRow
	if n, err := ParseRef(q.Search); err == nil {
		err := s.db.Gorm.WithContext(ctx).Table("tickets").Select(deskColumns).
			Where("tickets.number = ?", n).Scan(&rows).Error
		return DeskPage{Rows: rows}, mapErr("desk search by reference", err)
	}
	terms := SearchTerms(q.Search)
	if len(terms) == 0 {
		return DeskPage{}, nil
	}
	ids, err := s.matchCandidates(s.filtered(ctx, q), s.filtered(ctx, q), s.filtered(ctx, q), terms)
	if err != nil || len(ids) == 0 {
		return DeskPage{}, err
	}
	err = s.filtered(ctx, q).Where("tickets.id IN ?", ids).Select(deskColumns).
		Order("tickets.last_activity_at DESC, tickets.id DESC").Limit(TicketSearchMax).Scan(&rows).Error
	return DeskPage{Rows: rows}, mapErr("desk search", err)
}
