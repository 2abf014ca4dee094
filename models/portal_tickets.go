package models

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// PortalScope is everything that decides which tickets one customer may see. It is built once
// per request and every portal query goes through it — listing, detail, counts, attachments
// and live events alike — so the rules are written once (STYLE 6).
type PortalScope struct {
	ContactID int64
	// CompanyID is the contact's primary company when the portal shares company tickets with
	// its contacts (SPEC T-3), else 0.
	CompanyID int64
	// Rules are the admin's ticket filters (SPEC T-4): only matching tickets exist for the portal.
	Rules []FilterRule
}

// Portal listing views (SPEC T-3).
const (
	ViewMine = "mine" // tickets associated with the contact
	ViewOrg  = "org"  // tickets of the contact's primary company
)

// PortalQuery is one page request of the portal listing.
type PortalQuery struct {
	View   string // ViewMine or ViewOrg (ViewOrg only when the scope has a company)
	Status string // "", "open" or "closed"
	Sort   string // "activity" (default, newest first) or "created" (newest first)
	After  string // cursor from the previous page
	Limit  int
}

// PortalTicketRow is what the portal listing shows of a ticket: a narrow row, not the model.
type PortalTicketRow struct {
	Number         int64
	Subject        string
	StageID        int64
	IsClosed       bool
	CreatedAt      time.Time
	LastActivityAt time.Time
}

// Ref is the ticket's public reference.
func (r PortalTicketRow) Ref() string { return FormatRef(r.Number) }

// PortalPage is one page of the portal listing; Next is the cursor of the following page.
type PortalPage struct {
	Rows []PortalTicketRow
	Next string
}

// scoped restricts a ticket query to what the scope may see in the given view.
func (s *TicketStore) scoped(ctx context.Context, scope PortalScope, view string) (*gorm.DB, error) {
	q := s.db.Gorm.WithContext(ctx).Table("tickets")
	switch {
	case scope.ContactID == 0:
		return nil, ErrNotFound
	case view == ViewOrg && scope.CompanyID != 0:
		q = q.Where("tickets.company_id = ?", scope.CompanyID)
	case view == ViewOrg:
		return nil, ErrNotFound
	default:
		q = q.Where("tickets.contact_id = ?", scope.ContactID)
	}
	return applyFilter(q, s.db.Dialect, scope.Rules)
}

// ForPortal returns one page of the tickets a customer may see, newest first. The query walks
// an index in order — (contact_id | company_id, last_activity_at | created_at, id) — and stops
// at the page size: it never sorts all of a company's tickets to draw one page.
func (s *TicketStore) ForPortal(ctx context.Context, scope PortalScope, pq PortalQuery) (PortalPage, error) {
	q, err := s.scoped(ctx, scope, pq.View)
	if err != nil {
		return PortalPage{}, err
	}
	col := "last_activity_at"
	if pq.Sort == "created" {
		col = "created_at"
	}
	switch pq.Status {
	case "open":
		q = q.Where("tickets.is_closed = ?", false)
	case "closed":
		q = q.Where("tickets.is_closed = ?", true)
	}
	if pq.After != "" {
		at, id, err := decodeCursor(pq.After)
		if err != nil {
			return PortalPage{}, Invalid("after", "error.cursor")
		}
		// A row-value comparison: both engines turn it into one index range.
		q = q.Where(fmt.Sprintf("(tickets.%s, tickets.id) < (?, ?)", col), at, id)
	}
	limit := pq.Limit
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	type row struct {
		PortalTicketRow
		ID int64
	}
	var rows []row
	q = q.Select("tickets.id, tickets.number, tickets.subject, tickets.stage_id, tickets.is_closed, tickets.created_at, tickets.last_activity_at").
		Order(fmt.Sprintf("tickets.%s DESC, tickets.id DESC", col)).Limit(limit + 1)
	err = scanRows(q, "portal tickets", func(rs *sql.Rows) error {
		var r row
		err := rs.Scan(&r.ID, &r.Number, &r.Subject, &r.StageID, &r.IsClosed, &r.CreatedAt, &r.LastActivityAt)
		rows = append(rows, r)
		return err
	})
	if err != nil {
		return PortalPage{}, err
	}
	page := PortalPage{Rows: make([]PortalTicketRow, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			at := last.LastActivityAt
			if col == "created_at" {
				at = last.CreatedAt
			}
			page.Next = encodeCursor(at, last.ID)
			break
		}
		page.Rows = append(page.Rows, r.PortalTicketRow)
	}
	return page, nil
}

// ForPortalByNumber returns a ticket the scope may see — the contact's own, or its company's
// when shared — or ErrNotFound, indistinguishable from a ticket that does not exist.
func (s *TicketStore) ForPortalByNumber(ctx context.Context, scope PortalScope, number int64) (Ticket, error) {
	if scope.ContactID == 0 {
		return Ticket{}, ErrNotFound
	}
	q := s.db.Gorm.WithContext(ctx).Model(&Ticket{}).Where("tickets.number = ?", number)
	if scope.CompanyID != 0 {
		q = q.Where("(tickets.contact_id = ? OR tickets.company_id = ?)", scope.ContactID, scope.CompanyID)
	} else {
		q = q.Where("tickets.contact_id = ?", scope.ContactID)
	}
	q, err := applyFilter(q, s.db.Dialect, scope.Rules)
	if err != nil {
		return Ticket{}, err
	}
	var t Ticket
	err = q.Take(&t).Error
	return t, mapErr("portal ticket", err)
}

// Stages returns every pipeline stage by id (a handful of rows; listings name stages from it).
func (s *PipelineStore) Stages(ctx context.Context) (map[int64]PipelineStage, error) {
	var all []PipelineStage
	if err := s.db.Gorm.WithContext(ctx).Find(&all).Error; err != nil {
		return nil, mapErr("stages", err)
	}
	out := make(map[int64]PipelineStage, len(all))
	for _, st := range all {
		out[st.ID] = st
	}
	return out, nil
}

// encodeCursor writes a keyset position as an opaque string.
func encodeCursor(at time.Time, id int64) string {
	raw := strconv.FormatInt(at.UTC().UnixNano(), 10) + "." + strconv.FormatInt(id, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string) (time.Time, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) > 64 {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	ns, ids, ok := strings.Cut(string(raw), ".")
	if !ok {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	n, err1 := strconv.ParseInt(ns, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	return time.Unix(0, n).UTC(), id, nil
}

// AttachmentForPortal returns an attachment of a customer-visible message on a ticket the scope
// may see, or ErrNotFound. Attachments of internal notes never qualify.
func (s *TicketStore) AttachmentForPortal(ctx context.Context, scope PortalScope, publicID string) (Attachment, error) {
	if scope.ContactID == 0 || len(publicID) > 64 {
		return Attachment{}, ErrNotFound
	}
	q := s.db.Gorm.WithContext(ctx).Table("attachments").
		Joins("JOIN messages ON messages.id = attachments.message_id AND messages.is_internal = ?", false).
		Joins("JOIN tickets ON tickets.id = attachments.ticket_id").
		Where("attachments.public_id = ?", publicID)
	if scope.CompanyID != 0 {
		q = q.Where("(tickets.contact_id = ? OR tickets.company_id = ?)", scope.ContactID, scope.CompanyID)
	} else {
		q = q.Where("tickets.contact_id = ?", scope.ContactID)
	}
	q, err := applyFilter(q, s.db.Dialect, scope.Rules)
	if err != nil {
		return Attachment{}, err
	}
	var a Attachment
	err = q.Select("attachments.*").Take(&a).Error
	return a, mapErr("portal attachment", err)
}

// AuthorNames returns display names for the authors of messages: staff and contacts by id, in
// two queries however many messages.
func (s *TicketStore) AuthorNames(ctx context.Context, msgs []Message) (staff, contacts map[int64]string, err error) {
	var sids, cids []int64
	for _, m := range msgs {
		if m.AuthorStaffID != nil {
			sids = append(sids, *m.AuthorStaffID)
		}
		if m.AuthorContactID != nil {
			cids = append(cids, *m.AuthorContactID)
		}
	}
	staff, contacts = map[int64]string{}, map[int64]string{}
	type idName struct {
		ID   int64
		Name string
	}
	var rows []idName
	if len(sids) > 0 {
		if err := s.db.Gorm.WithContext(ctx).Table("staff_users").Select("id, name").Where("id IN ?", sids).Scan(&rows).Error; err != nil {
			return nil, nil, mapErr("author names", err)
		}
		for _, r := range rows {
			staff[r.ID] = r.Name
		}
	}
	rows = nil
	if len(cids) > 0 {
		if err := s.db.Gorm.WithContext(ctx).Table("contacts").Select("id, name").Where("id IN ?", cids).Scan(&rows).Error; err != nil {
			return nil, nil, mapErr("author names", err)
		}
		for _, r := range rows {
			contacts[r.ID] = r.Name
		}
	}
	return staff, contacts, nil
}
