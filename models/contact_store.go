package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ContactStore reads and writes customer contacts and contact lists.
type ContactStore struct{ db *DB }

// Create inserts c; a taken e-mail address returns ErrConflict.
func (s *ContactStore) Create(ctx context.Context, c *Contact) error {
	c.Email = NormalizeEmail(c.Email)
	if c.Properties == nil {
		c.Properties = Props{}
	}
	return mapErr("create contact", s.db.Gorm.WithContext(ctx).Create(c).Error)
}

// ByID returns one contact.
func (s *ContactStore) ByID(ctx context.Context, id int64) (Contact, error) {
	return s.contactByID(ctx, id)
}

// ByEmail returns the contact with that address.
func (s *ContactStore) ByEmail(ctx context.Context, email string) (Contact, error) {
	var c Contact
	err := s.db.Gorm.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&c).Error
	return c, mapErr("contact by email", err)
}

// SetPassword replaces a contact's password hash and marks the address verified at t (setting
// a password always follows proof of the address: a link sent to it).
func (s *ContactStore) SetPassword(ctx context.Context, id int64, hash string, t time.Time) error {
	res := s.db.Gorm.WithContext(ctx).Model(&Contact{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": t,
			"email_verified_at": gorm.Expr("COALESCE(email_verified_at, ?)", t)})
	if res.Error != nil {
		return mapErr("set contact password", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// CreateList inserts a contact list.
func (s *ContactStore) CreateList(ctx context.Context, l *ContactList) error {
	if l.Rule == nil {
		l.Rule = Props{}
	}
	return mapErr("create contact list", s.db.Gorm.WithContext(ctx).Create(l).Error)
}

// AddToList puts contacts on a static list in one statement; members already there stay as
// they are.
func (s *ContactStore) AddToList(ctx context.Context, listID int64, contactIDs []int64, t time.Time) error {
	if len(contactIDs) == 0 {
		return nil
	}
	rows := make([]ContactListMember, len(contactIDs))
	for i, id := range contactIDs {
		rows[i] = ContactListMember{ListID: listID, ContactID: id, AddedAt: t}
	}
	err := s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error
	return mapErr("add to list", err)
}

// InList reports whether a contact is on a list: a chosen member of a static list, or a
// contact matching an active list's rule now. An unknown list has nobody on it.
func (s *ContactStore) InList(ctx context.Context, listID, contactID int64) (bool, error) {
	l, err := s.ListByID(ctx, listID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	where, args, err := listWhere(s.db.Dialect, l)
	if err != nil {
		return false, err
	}
	var n int64
	err = s.db.Gorm.WithContext(ctx).Table("contacts AS c").
		Where("c.id = ?", contactID).Where(where, args...).Count(&n).Error
	return n > 0, mapErr("in list", err)
}

// CompanyStore reads and writes customer companies.
type CompanyStore struct{ db *DB }

// Create inserts a company.
func (s *CompanyStore) Create(ctx context.Context, c *Company) error {
	if c.Properties == nil {
		c.Properties = Props{}
	}
	return mapErr("create company", s.db.Gorm.WithContext(ctx).Create(c).Error)
}

// ByID returns one company.
func (s *CompanyStore) ByID(ctx context.Context, id int64) (Company, error) {
	var c Company
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	return c, mapErr("company by id", err)
}

// ByName returns the first company with exactly that name.
func (s *CompanyStore) ByName(ctx context.Context, name string) (Company, error) {
	var c Company
	err := s.db.Gorm.WithContext(ctx).Where("name = ?", name).Order("id").Take(&c).Error
	return c, mapErr("company by name", err)
}

// RecordLogin stamps the time of a successful sign-in.
func (s *ContactStore) RecordLogin(ctx context.Context, id int64, at time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Model(&Contact{}).Where("id = ?", id).Update("last_login_at", at).Error
	return mapErr("record contact login", err)
}

// MembersOf returns the contacts on any of the given lists (chosen members of the static ones,
// contacts matching the rules of the active ones), each once, in id order, in one query after
// the lists themselves are read.
func (s *ContactStore) MembersOf(ctx context.Context, listIDs []int64) ([]Contact, error) {
	return s.members(ctx, listIDs, "", nil)
}

// MembersByIDs is MembersOf among the contacts with these ids only.
func (s *ContactStore) MembersByIDs(ctx context.Context, listIDs, ids []int64) ([]Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.members(ctx, listIDs, "c.id IN ?", ids)
}

// MembersByEmails is MembersOf among the contacts with these (normalised) addresses only.
func (s *ContactStore) MembersByEmails(ctx context.Context, listIDs []int64, emails []string) ([]Contact, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	return s.members(ctx, listIDs, "c.email IN ?", emails)
}

// MembersOfCompany is MembersOf among one company's contacts only.
func (s *ContactStore) MembersOfCompany(ctx context.Context, listIDs []int64, companyID int64) ([]Contact, error) {
	return s.members(ctx, listIDs, "c.company_id = ?", companyID)
}

// members is MembersOf, narrowed by among (a condition over contacts aliased c, with its one
// bound argument) unless among is empty.
func (s *ContactStore) members(ctx context.Context, listIDs []int64, among string, amongArg any) ([]Contact, error) {
	if len(listIDs) == 0 {
		return nil, nil
	}
	var lists []ContactList
	if err := s.db.Gorm.WithContext(ctx).Where("id IN ?", listIDs).Order("id").Find(&lists).Error; err != nil {
		return nil, mapErr("member lists", err)
	}
	var conds []string
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
		conds = append(conds, where)
		args = append(args, a...)
	}
	if len(static) > 0 {
		conds = append(conds, "c.id IN (SELECT m.contact_id FROM contact_list_members m WHERE m.list_id IN ?)")
		args = append(args, static)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	var out []Contact
	q := s.db.Gorm.WithContext(ctx).Table("contacts AS c").Select("c.*").
		Where("("+strings.Join(conds, ") OR (")+")", args...)
	if among != "" {
		q = q.Where(among, amongArg)
	}
	err := q.Order("c.id").Find(&out).Error
	return out, mapErr("list members", err)
}
