package models

import "time"

// Contact is a customer: the person who files tickets and signs in to the portal. An empty
// PasswordHash means no password is set yet (invited, SSO-only or created from an e-mail).
type Contact struct {
	ID              int64
	Email           string
	Name            string
	PasswordHash    string
	EmailVerifiedAt *time.Time
	CompanyID       *int64
	OwnerID         *int64
	Phone           string
	Language        string
	Active          bool
	Properties      Props
	LastLoginAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// CanSignIn reports whether the contact may sign in with a password.
func (c Contact) CanSignIn() bool { return c.Active && c.PasswordHash != "" }

// IsVerified reports whether the contact proved they own their e-mail address.
func (c Contact) IsVerified() bool { return c.EmailVerifiedAt != nil }

// Company is a customer organisation; its contacts may see its tickets when the portal allows.
type Company struct {
	ID         int64
	Name       string
	Domain     string
	OwnerID    *int64
	Properties Props
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ListKind says how a contact list gets its members.
type ListKind string

// Contact list kinds: static lists have chosen members, active lists members by rule.
const (
	ListStatic ListKind = "static"
	ListActive ListKind = "active"
)

// ContactList is a named set of contacts, used for portal access and SSO audiences.
type ContactList struct {
	ID        int64
	Name      string
	Kind      ListKind
	Rule      Props
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ContactListMember puts a contact on a static list.
type ContactListMember struct {
	ListID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ContactID int64 `gorm:"primaryKey;autoIncrement:false"`
	AddedAt   time.Time
}
