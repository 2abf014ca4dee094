package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Hot read paths scan their rows by hand. GORM fills structs through reflection, which was the
// largest single cost of a ticket page with a long thread (a 200-message thread took 9 ms on
// PostgreSQL, mostly in gorm.Scan). These functions run plain SQL through the same connection
// pool and prepared-statement cache, and name every column, so a migration that adds a column
// changes nothing here until the code wants it.

// messageColumns are the columns scanMessage reads, in order.
const messageColumns = "messages.id, messages.thread_id, messages.ticket_id, messages.author_kind, messages.author_contact_id, " +
	"messages.author_staff_id, messages.body, messages.body_html, messages.reply_to_id, messages.is_internal, " +
	"messages.external_id, messages.created_at"

func scanMessage(rows *sql.Rows, m *Message) error {
	return rows.Scan(&m.ID, &m.ThreadID, &m.TicketID, &m.AuthorKind, &m.AuthorContactID, &m.AuthorStaffID, &m.Body,
		&m.BodyHTML, &m.ReplyToID, &m.IsInternal, &m.ExternalID, &m.CreatedAt)
}

// attachmentColumns are the columns scanAttachment reads, in order.
const attachmentColumns = "attachments.id, attachments.public_id, attachments.ticket_id, attachments.message_id, " +
	"attachments.filename, attachments.size, attachments.content_type, attachments.storage_key, attachments.sha256, " +
	"attachments.created_at"

func scanAttachment(rows *sql.Rows, a *Attachment) error {
	return rows.Scan(&a.ID, &a.PublicID, &a.TicketID, &a.MessageID, &a.Filename, &a.Size, &a.ContentType, &a.StorageKey,
		&a.SHA256, &a.CreatedAt)
}

// query runs a read and hands each row to scan; it closes the rows and reports the first
// error, the iteration's included.
func (d *DB) query(ctx context.Context, op, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := d.Gorm.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("models: %s: %w", op, err)
		}
	}
	return mapErr(op, rows.Err())
}

// threadMessages reads a thread's messages in order (internal notes only with includeInternal)
// and their attachments: two statements, whatever the thread's length.
func (s *TicketStore) threadMessages(ctx context.Context, threadID int64, includeInternal bool) ([]Message, error) {
	internal := ""
	if !includeInternal {
		internal = " AND messages.is_internal = ?"
	}
	args := []any{threadID}
	if !includeInternal {
		args = append(args, false)
	}
	var out []Message
	err := s.db.query(ctx, "thread messages",
		"SELECT "+messageColumns+" FROM messages WHERE messages.thread_id = ?"+internal+" ORDER BY messages.created_at, messages.id",
		args, func(rows *sql.Rows) error {
			var m Message
			if err := scanMessage(rows, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	if err != nil || len(out) == 0 {
		return out, err
	}
	index := make(map[int64]int, len(out))
	for i, m := range out {
		index[m.ID] = i
	}
	err = s.db.query(ctx, "thread attachments",
		"SELECT "+attachmentColumns+" FROM attachments JOIN messages ON messages.id = attachments.message_id "+
			"WHERE messages.thread_id = ?"+internal+" ORDER BY attachments.id",
		args, func(rows *sql.Rows) error {
			var a Attachment
			if err := scanAttachment(rows, &a); err != nil {
				return err
			}
			if a.MessageID != nil {
				if i, ok := index[*a.MessageID]; ok {
					out[i].Attachments = append(out[i].Attachments, a)
				}
			}
			return nil
		})
	return out, err
}

// takeOne runs a single-row read; no row is ErrNotFound.
func (d *DB) takeOne(ctx context.Context, op, q string, args []any, scan func(*sql.Rows) error) error {
	found := false
	err := d.query(ctx, op, q, args, func(rows *sql.Rows) error {
		found = true
		return scan(rows)
	})
	if err == nil && !found {
		return ErrNotFound
	}
	return err
}

// getSession reads one session by its token's hash (every signed-in request).
func (s *SessionStore) getSession(ctx context.Context, tokenHash string) (Session, error) {
	var x Session
	err := s.db.takeOne(ctx, "get session",
		"SELECT token_hash, user_kind, user_id, ip, user_agent, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = ?",
		[]any{tokenHash}, func(rows *sql.Rows) error {
			return rows.Scan(&x.TokenHash, &x.UserKind, &x.UserID, &x.IP, &x.UserAgent, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt)
		})
	return x, err
}

// contactByID reads one contact (every customer request loads the signed-in contact).
func (s *ContactStore) contactByID(ctx context.Context, id int64) (Contact, error) {
	var c Contact
	err := s.db.takeOne(ctx, "contact by id",
		"SELECT id, email, name, password_hash, email_verified_at, company_id, owner_id, phone, language, active, properties, "+
			"last_login_at, created_at, updated_at FROM contacts WHERE id = ?",
		[]any{id}, func(rows *sql.Rows) error {
			return rows.Scan(&c.ID, &c.Email, &c.Name, &c.PasswordHash, &c.EmailVerifiedAt, &c.CompanyID, &c.OwnerID, &c.Phone,
				&c.Language, &c.Active, &c.Properties, &c.LastLoginAt, &c.CreatedAt, &c.UpdatedAt)
		})
	return c, err
}

// scanRows runs a query built with GORM (scopes, filters) and scans its rows by hand.
func scanRows(q *gorm.DB, op string, scan func(*sql.Rows) error) error {
	rows, err := q.Rows()
	if err != nil {
		return mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("models: %s: %w", op, err)
		}
	}
	return mapErr(op, rows.Err())
}

// ThreadVersion identifies the state of a thread's visible messages: how many there are and the
// newest id. Messages are only ever added, so any change gives another version (a cache key
// that does not depend on clocks).
func (s *TicketStore) ThreadVersion(ctx context.Context, threadID int64, includeInternal bool) (count, lastID int64, err error) {
	q := "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM messages WHERE thread_id = ?"
	args := []any{threadID}
	if !includeInternal {
		q += " AND is_internal = ?"
		args = append(args, false)
	}
	err = s.db.takeOne(ctx, "thread version", q, args, func(rows *sql.Rows) error { return rows.Scan(&count, &lastID) })
	return count, lastID, err
}

// SessionUser is a session with the account it belongs to, read in one statement: every
// signed-in request needs both. At most one of Contact and Staff is set, the one the session's
// kind names, and neither when that account no longer exists.
type SessionUser struct {
	Session
	Contact *Contact
	Staff   *StaffUser
}

// GetWithUser reads a session and its account in one round trip.
func (s *SessionStore) GetWithUser(ctx context.Context, tokenHash string) (SessionUser, error) {
	var (
		su                                  SessionUser
		cID, cCompany, cOwner               *int64
		cEmail, cName, cHash, cPhone, cLang sql.NullString
		cActive                             sql.NullBool
		cProps                              Props
		cVerified, cLogin                   *time.Time
		cCreated, cUpdated                  sql.NullTime
		uID                                 *int64
		uEmail, uName, uRole, uHash, uLang  sql.NullString
		uActive                             sql.NullBool
		uLogin                              *time.Time
		uCreated, uUpdated                  sql.NullTime
	)
	err := s.db.takeOne(ctx, "get session with user",
		"SELECT s.token_hash, s.user_kind, s.user_id, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, "+
			"c.id, c.email, c.name, c.password_hash, c.email_verified_at, c.company_id, c.owner_id, c.phone, c.language, "+
			"c.active, c.properties, c.last_login_at, c.created_at, c.updated_at, "+
			"u.id, u.email, u.name, u.role, u.password_hash, u.active, u.language, u.last_login_at, u.created_at, u.updated_at "+
			"FROM sessions s "+
			"LEFT JOIN contacts c ON s.user_kind = 'contact' AND c.id = s.user_id "+
			"LEFT JOIN staff_users u ON s.user_kind = 'staff' AND u.id = s.user_id "+
			"WHERE s.token_hash = ?",
		[]any{tokenHash}, func(rows *sql.Rows) error {
			x := &su.Session
			return rows.Scan(&x.TokenHash, &x.UserKind, &x.UserID, &x.IP, &x.UserAgent, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt,
				&cID, &cEmail, &cName, &cHash, &cVerified, &cCompany, &cOwner, &cPhone, &cLang, &cActive, &cProps, &cLogin,
				&cCreated, &cUpdated,
				&uID, &uEmail, &uName, &uRole, &uHash, &uActive, &uLang, &uLogin, &uCreated, &uUpdated)
		})
	if err != nil {
		return su, err
	}
	if cID != nil {
		su.Contact = &Contact{ID: *cID, Email: cEmail.String, Name: cName.String, PasswordHash: cHash.String,
			EmailVerifiedAt: cVerified, CompanyID: cCompany, OwnerID: cOwner, Phone: cPhone.String, Language: cLang.String,
			Active: cActive.Bool, Properties: cProps, LastLoginAt: cLogin, CreatedAt: cCreated.Time, UpdatedAt: cUpdated.Time}
	}
	if uID != nil {
		su.Staff = &StaffUser{ID: *uID, Email: uEmail.String, Name: uName.String, Role: Role(uRole.String),
			PasswordHash: uHash.String, Active: uActive.Bool, Language: uLang.String, LastLoginAt: uLogin,
			CreatedAt: uCreated.Time, UpdatedAt: uUpdated.Time}
	}
	return su, nil
}
