package models

import "time"

// Role is what a staff user may do.
type Role string

// Staff roles: admins configure Portico, agents answer tickets.
const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgent }

// StaffUser is an admin or agent account. Staff and customer contacts are separate accounts
// with separate tables and logins (SPEC P-12).
type StaffUser struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash string `gorm:"column:password_hash"`
	Active       bool
	Language     string
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName maps StaffUser to its table.
func (StaffUser) TableName() string { return "staff_users" }

// IsAdmin reports whether the user may reach /admin.
func (u StaffUser) IsAdmin() bool { return u.Role == RoleAdmin }

// CanSignIn reports whether the account may start a session.
func (u StaffUser) CanSignIn() bool { return u.Active && u.PasswordHash != "" }

// Team groups agents for routing and assignment.
type Team struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TeamMember links a staff user to a team.
type TeamMember struct {
	TeamID  int64 `gorm:"primaryKey;autoIncrement:false"`
	StaffID int64 `gorm:"primaryKey;autoIncrement:false"`
}
