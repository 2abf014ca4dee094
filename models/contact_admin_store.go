package models

// The admin's side of contacts and companies (SPEC A-5): searching and paging through them,
// editing and deleting, and the batch lookups and writes of the CSV import. Pages are keyset
// pages (there may be 100,000 contacts): each reads its rows in index order and stops, and
// nothing counts the whole table on a page view.

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Page sizes: the default, and the most a caller may ask for.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// MaxBatch is the most rows one batch lookup or write takes: well within both engines' limits
// on bound parameters.
const MaxBatch = 500

// ContactQuery selects a page of contacts. After and Before are keyset cursors (the e-mail
// address of the last row of the previous page, or of the first row of the next); at most
// one is used.
type ContactQuery struct {
	Search    string       // part of the e-mail address or name, any case
	CompanyID int64        // only this company's contacts
	List      *ContactList // only this list's members
	After     string
	Before    string
	Limit     int
}

// ContactRow is one contact in a list page, with its company's name.
type ContactRow struct {
	ID          int64
	Email       string
	Name        string
	CompanyID   *int64
	CompanyName string
	Language    string
	Active      bool
	CreatedAt   time.Time
}

// ContactPage is one page of contacts with the cursors of its neighbours ("" when there is
// none).
type ContactPage struct {
	Rows       []ContactRow
	PrevCursor string // pass as Before
	NextCursor string // pass as After
}

func clampLimit(n int) int {
	if n <= 0 {
		return DefaultPageSize
	}
	return min(n, MaxPageSize)
}

// likeOp is the case-insensitive LIKE of the engine (SQLite's LIKE ignores ASCII case).
func (db *DB) likeOp() string {
	if db.Dialect == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// Search returns one page of contacts in e-mail order.
func (s *ContactStore) Search(ctx context.Context, q ContactQuery) (ContactPage, error) {
	limit := clampLimit(q.Limit)
	tx := s.db.Gorm.WithContext(ctx).Table("contacts AS c").
		Select("c.id, c.email, c.name, c.company_id, COALESCE(co.name, '') AS company_name, c.language, c.active, c.created_at").
		Joins("LEFT JOIN companies co ON co.id = c.company_id")
	if term := strings.TrimSpace(q.Search); term != "" {
		pattern := "%" + EscapeLike(strings.ToLower(term)) + "%"
		like := s.db.likeOp()
		tx = tx.Where(`(c.email LIKE ? ESCAPE '\' OR c.name `+like+` ? ESCAPE '\')`, pattern, pattern)
	}
	if q.CompanyID != 0 {
		tx = tx.Where("c.company_id = ?", q.CompanyID)
	}
	if q.List != nil {
		where, args, err := listWhere(s.db.Dialect, *q.List)
		if err != nil {
			return ContactPage{}, err
		}
		tx = tx.Where(where, args...)
	}
	backward := q.Before != "" && q.After == ""
	switch {
	case backward:
		tx = tx.Where("c.email < ?", q.Before).Order("c.email DESC")
	case q.After != "":
		tx = tx.Where("c.email > ?", q.After).Order("c.email")
	default:
		tx = tx.Order("c.email")
	}
	var rows []ContactRow
	if err := tx.Limit(limit + 1).Scan(&rows).Error; err != nil {
		return ContactPage{}, mapErr("search contacts", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	var p ContactPage
	if backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	p.Rows = rows
	if len(rows) == 0 {
		return p, nil
	}
	if (backward && more) || (!backward && q.After != "") {
		p.PrevCursor = rows[0].Email
	}
	if backward || more {
		p.NextCursor = rows[len(rows)-1].Email
	}
	return p, nil
}

// Update saves the fields an admin edits: e-mail (normalised), name, phone, company,
// language, active and custom properties. A taken e-mail address returns ErrConflict.
func (s *ContactStore) Update(ctx context.Context, c Contact, t time.Time) error {
	if c.Properties == nil {
		c.Properties = Props{}
	}
	res := s.db.Gorm.WithContext(ctx).Model(&Contact{}).Where("id = ?", c.ID).Updates(map[string]any{
		"email": NormalizeEmail(c.Email), "name": c.Name, "phone": c.Phone, "company_id": c.CompanyID,
		"language": c.Language, "active": c.Active, "properties": c.Properties, "updated_at": t})
	if res.Error != nil {
		return mapErr("update contact", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// SetActive switches a contact's access on or off.
func (s *ContactStore) SetActive(ctx context.Context, id int64, active bool, t time.Time) error {
	res := s.db.Gorm.WithContext(ctx).Model(&Contact{}).Where("id = ?", id).
		Updates(map[string]any{"active": active, "updated_at": t})
	if res.Error != nil {
		return mapErr("set contact active", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes a contact; their tickets stay, without a contact (ON DELETE SET NULL), and
// their list memberships, consent records and links go with them.
func (s *ContactStore) Delete(ctx context.Context, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&Contact{})
	if res.Error != nil {
		return mapErr("delete contact", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// ByIDs returns the contacts with these ids (at most MaxBatch), in id order.
func (s *ContactStore) ByIDs(ctx context.Context, ids []int64) ([]Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []Contact
	err := s.db.Gorm.WithContext(ctx).Where("id IN ?", ids).Order("id").Find(&out).Error
	return out, mapErr("contacts by id", err)
}

// ByEmails returns the contacts with these (normalised) addresses, at most MaxBatch of them,
// in one query.
func (s *ContactStore) ByEmails(ctx context.Context, emails []string) ([]Contact, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	var out []Contact
	err := s.db.Gorm.WithContext(ctx).Where("email IN ?", emails).Find(&out).Error
	return out, mapErr("contacts by email", err)
}

// Upsert writes contacts by e-mail address in one statement per MaxBatch rows: new addresses
// are inserted, taken ones get the given name, phone, company, language and properties
// (password, state and verification stay). The caller fills every field it means to keep.
func (s *ContactStore) Upsert(ctx context.Context, rows []Contact) error {
	if len(rows) == 0 {
		return nil
	}
	for i := range rows {
		rows[i].Email = NormalizeEmail(rows[i].Email)
		if rows[i].Properties == nil {
			rows[i].Properties = Props{}
		}
	}
	err := s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "email"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "phone", "company_id", "language", "properties", "updated_at"}),
	}).CreateInBatches(rows, MaxBatch).Error
	return mapErr("upsert contacts", err)
}

// InsertNew inserts contacts in one statement per MaxBatch rows; an address that exists by
// then (another import, a registration) is left as it is.
func (s *ContactStore) InsertNew(ctx context.Context, rows []Contact) error {
	if len(rows) == 0 {
		return nil
	}
	for i := range rows {
		rows[i].Email = NormalizeEmail(rows[i].Email)
		if rows[i].Properties == nil {
			rows[i].Properties = Props{}
		}
	}
	err := s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, MaxBatch).Error
	return mapErr("insert contacts", err)
}

// ContactTicket is one of a contact's tickets, as their admin page lists them.
type ContactTicket struct {
	Number         int64
	Subject        string
	IsClosed       bool
	LastActivityAt time.Time
}

// RecentTickets returns a contact's latest tickets by last activity (index
// tickets_contact_activity), at most limit.
func (s *ContactStore) RecentTickets(ctx context.Context, contactID int64, limit int) ([]ContactTicket, error) {
	var out []ContactTicket
	err := s.db.Gorm.WithContext(ctx).Table("tickets").
		Select("number, subject, is_closed, last_activity_at").
		Where("contact_id = ?", contactID).
		Order("last_activity_at DESC, id DESC").Limit(clampLimit(limit)).Scan(&out).Error
	return out, mapErr("contact tickets", err)
}

// ---------------------------------------------------------------------------------------------
// Companies

// CompanyQuery selects a page of companies in name order. After and Before are cursors made
// by CompanyCursor.
type CompanyQuery struct {
	Search string // part of the name or domain, any case
	After  string
	Before string
	Limit  int
}

// CompanyRow is one company in a list page, with its number of contacts.
type CompanyRow struct {
	ID       int64
	Name     string
	Domain   string
	Contacts int64
}

// CompanyPage is one page of companies with its neighbours' cursors.
type CompanyPage struct {
	Rows       []CompanyRow
	PrevCursor string
	NextCursor string
}

// CompanyCursor is the keyset cursor of a company row: its id and name (name order breaks
// ties by id).
func CompanyCursor(id int64, name string) string { return strconv.FormatInt(id, 10) + ":" + name }

func parseCompanyCursor(s string) (int64, string, bool) {
	idText, name, ok := strings.Cut(s, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, name, ok && err == nil && id > 0
}

// Search returns one page of companies with each one's contact count, in one grouped query:
// the page is chosen first, then only its companies' contacts are counted.
func (s *CompanyStore) Search(ctx context.Context, q CompanyQuery) (CompanyPage, error) {
	limit := clampLimit(q.Limit)
	inner := s.db.Gorm.WithContext(ctx).Table("companies AS co").Select("co.id, co.name, co.domain")
	if term := strings.TrimSpace(q.Search); term != "" {
		pattern := "%" + EscapeLike(strings.ToLower(term)) + "%"
		like := s.db.likeOp()
		inner = inner.Where(`(co.name `+like+` ? ESCAPE '\' OR co.domain `+like+` ? ESCAPE '\')`, pattern, pattern)
	}
	dir := "ASC"
	if id, name, ok := parseCompanyCursor(q.Before); ok && q.After == "" {
		dir = "DESC"
		inner = inner.Where("(co.name < ? OR (co.name = ? AND co.id < ?))", name, name, id)
	} else if id, name, ok := parseCompanyCursor(q.After); ok {
		inner = inner.Where("(co.name > ? OR (co.name = ? AND co.id > ?))", name, name, id)
	}
	inner = inner.Order("co.name " + dir + ", co.id " + dir).Limit(limit + 1)
	var rows []CompanyRow
	err := s.db.Gorm.WithContext(ctx).Table("(?) AS p", inner).
		Select("p.id, p.name, p.domain, COUNT(ct.id) AS contacts").
		Joins("LEFT JOIN contacts ct ON ct.company_id = p.id").
		Group("p.id, p.name, p.domain").
		Order("p.name " + dir + ", p.id " + dir).Scan(&rows).Error
	if err != nil {
		return CompanyPage{}, mapErr("search companies", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	backward := dir == "DESC"
	if backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	p := CompanyPage{Rows: rows}
	if len(rows) == 0 {
		return p, nil
	}
	first, last := rows[0], rows[len(rows)-1]
	if (backward && more) || (!backward && q.After != "") {
		p.PrevCursor = CompanyCursor(first.ID, first.Name)
	}
	if backward || more {
		p.NextCursor = CompanyCursor(last.ID, last.Name)
	}
	return p, nil
}

// Update saves a company's name, domain and properties.
func (s *CompanyStore) Update(ctx context.Context, c Company, t time.Time) error {
	if c.Properties == nil {
		c.Properties = Props{}
	}
	res := s.db.Gorm.WithContext(ctx).Model(&Company{}).Where("id = ?", c.ID).Updates(map[string]any{
		"name": c.Name, "domain": c.Domain, "properties": c.Properties, "updated_at": t})
	if res.Error != nil {
		return mapErr("update company", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes a company. Its contacts and tickets stay, without a company: the schema's
// ON DELETE SET NULL does it on both engines (SQLite runs with foreign_keys on).
func (s *CompanyStore) Delete(ctx context.Context, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&Company{})
	if res.Error != nil {
		return mapErr("delete company", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// ByNames returns the companies whose names match these, ignoring case, at most MaxBatch
// names, in one query; the key is the lower-cased name, and of several companies with one
// name the oldest wins.
func (s *CompanyStore) ByNames(ctx context.Context, names []string) (map[string]Company, error) {
	out := map[string]Company{}
	if len(names) == 0 {
		return out, nil
	}
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(n)
	}
	var found []Company
	err := s.db.Gorm.WithContext(ctx).Where("LOWER(name) IN ?", lower).Order("id").Find(&found).Error
	if err != nil {
		return nil, mapErr("companies by name", err)
	}
	for _, c := range found {
		key := strings.ToLower(c.Name)
		if _, seen := out[key]; !seen {
			out[key] = c
		}
	}
	return out, nil
}

// CreateMany inserts companies in one statement per MaxBatch rows and fills their ids.
func (s *CompanyStore) CreateMany(ctx context.Context, cs []Company) error {
	if len(cs) == 0 {
		return nil
	}
	for i := range cs {
		if cs[i].Properties == nil {
			cs[i].Properties = Props{}
		}
	}
	return mapErr("create companies", s.db.Gorm.WithContext(ctx).CreateInBatches(cs, MaxBatch).Error)
}
