package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// StaffStore reads and writes staff accounts and teams.
type StaffStore struct{ db *DB }

// Create inserts u; a taken e-mail address returns ErrConflict.
func (s *StaffStore) Create(ctx context.Context, u *StaffUser) error {
	u.Email = NormalizeEmail(u.Email)
	if !u.Role.Valid() {
		return Invalid("role", "error.role_invalid")
	}
	return mapErr("create staff user", s.db.Gorm.WithContext(ctx).Create(u).Error)
}

// ByID returns one staff user.
func (s *StaffStore) ByID(ctx context.Context, id int64) (StaffUser, error) {
	var u StaffUser
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&u).Error
	return u, mapErr("staff by id", err)
}

// ByEmail returns the staff user with that address.
func (s *StaffStore) ByEmail(ctx context.Context, email string) (StaffUser, error) {
	var u StaffUser
	err := s.db.Gorm.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error
	return u, mapErr("staff by email", err)
}

// CountAdmins counts active admins, to know whether the first one must still be created.
func (s *StaffStore) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&StaffUser{}).
		Where("role = ? AND active = ?", RoleAdmin, true).Count(&n).Error
	return n, mapErr("count admins", err)
}

// List returns staff users by name, at most limit.
func (s *StaffStore) List(ctx context.Context, limit int) ([]StaffUser, error) {
	var out []StaffUser
	err := s.db.Gorm.WithContext(ctx).Order("name, id").Limit(limit).Find(&out).Error
	return out, mapErr("list staff", err)
}

// SetPassword replaces a staff user's password hash.
func (s *StaffStore) SetPassword(ctx context.Context, id int64, hash string) error {
	res := s.db.Gorm.WithContext(ctx).Model(&StaffUser{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": now()})
	if res.Error != nil {
		return mapErr("set staff password", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// RecordLogin stamps the time of a successful sign-in.
func (s *StaffStore) RecordLogin(ctx context.Context, id int64, at time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Model(&StaffUser{}).Where("id = ?", id).
		Update("last_login_at", at).Error
	return mapErr("record staff login", err)
}

// CreateTeam inserts a team with the given members.
func (s *StaffStore) CreateTeam(ctx context.Context, t *Team, memberIDs []int64) error {
	return mapErr("create team", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		for _, id := range memberIDs {
			if err := tx.Create(&TeamMember{TeamID: t.ID, StaffID: id}).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

// TeamByName returns the team with that name.
func (s *StaffStore) TeamByName(ctx context.Context, name string) (Team, error) {
	var t Team
	err := s.db.Gorm.WithContext(ctx).Where("name = ?", name).Take(&t).Error
	return t, mapErr("team by name", err)
}

// Active returns the active staff users ordered by name, for owner and member pickers.
func (s *StaffStore) Active(ctx context.Context) ([]StaffUser, error) {
	var out []StaffUser
	err := s.db.Gorm.WithContext(ctx).Where("active = ?", true).Order("name, id").Find(&out).Error
	return out, mapErr("active staff", err)
}

// Teams returns every team ordered by name.
func (s *StaffStore) Teams(ctx context.Context) ([]Team, error) {
	var out []Team
	err := s.db.Gorm.WithContext(ctx).Order("name, id").Find(&out).Error
	return out, mapErr("teams", err)
}
