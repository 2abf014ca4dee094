package models

import (
	"context"
	"errors"
	"slices"
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

// ErrLastAdmin refuses a change that would leave no active admin: nobody could then reach
// /admin to repair it.
var ErrLastAdmin = errors.New("the last active admin must stay an active admin")

// StaffPage returns up to limit staff users ordered by name, starting after the user with id
// after (0 for the first page), and whether more follow. The cursor is a user id: the next
// page starts after that user's (name, id), so pages stay stable while users are added.
func (s *StaffStore) StaffPage(ctx context.Context, after int64, limit int) ([]StaffUser, bool, error) {
	q := s.db.Gorm.WithContext(ctx).Order("name, id").Limit(limit + 1)
	if after > 0 {
		cur, err := s.ByID(ctx, after)
		if err != nil {
			return nil, false, err
		}
		q = q.Where("name > ? OR (name = ? AND id > ?)", cur.Name, cur.Name, cur.ID)
	}
	var out []StaffUser
	if err := q.Find(&out).Error; err != nil {
		return nil, false, mapErr("staff page", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// TeamsOf returns the teams of each given staff user, by user id, in one query.
func (s *StaffStore) TeamsOf(ctx context.Context, staffIDs []int64) (map[int64][]Team, error) {
	out := map[int64][]Team{}
	if len(staffIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		StaffID int64
		Team
	}
	err := s.db.Gorm.WithContext(ctx).Table("team_members").
		Select("team_members.staff_id, teams.id, teams.name, teams.created_at, teams.updated_at").
		Joins("JOIN teams ON teams.id = team_members.team_id").
		Where("team_members.staff_id IN ?", staffIDs).Order("teams.name, teams.id").Scan(&rows).Error
	if err != nil {
		return nil, mapErr("teams of staff", err)
	}
	for _, r := range rows {
		out[r.StaffID] = append(out[r.StaffID], r.Team)
	}
	return out, nil
}

// StaffProfile is what an admin may change on a staff account.
type StaffProfile struct {
	Name    string
	Role    Role
	TeamIDs []int64
}

// Invite creates a staff user who has no password yet (CanSignIn is false until the
// invitation is accepted) and puts them in the given teams, in one transaction. Call it
// through Stores.InTx to send the invitation in the same transaction.
func (s *StaffStore) Invite(ctx context.Context, email string, p StaffProfile) (StaffUser, error) {
	name, err := cleanName("name", "error.name_required", p.Name)
	if err != nil {
		return StaffUser{}, err
	}
	if !p.Role.Valid() {
		return StaffUser{}, Invalid("role", "error.role_invalid")
	}
	u := StaffUser{Email: NormalizeEmail(email), Name: name, Role: p.Role, Active: true}
	err = s.db.WithTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		return setTeams(tx, u.ID, p.TeamIDs)
	})
	if errors.Is(mapErr("", err), ErrConflict) {
		return StaffUser{}, Invalid("email", "error.staff_email_taken")
	}
	if err != nil {
		return StaffUser{}, passValidation("invite staff", err)
	}
	return u, nil
}

// UpdateProfile sets a staff user's name, role and teams. Demoting the last active admin
// returns ErrLastAdmin.
func (s *StaffStore) UpdateProfile(ctx context.Context, id int64, p StaffProfile) error {
	name, err := cleanName("name", "error.name_required", p.Name)
	if err != nil {
		return err
	}
	if !p.Role.Valid() {
		return Invalid("role", "error.role_invalid")
	}
	err = s.db.WithTx(ctx, func(tx *gorm.DB) error {
		u, err := s.lockStaff(tx, id)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && u.Active && p.Role != RoleAdmin {
			if err := otherActiveAdmin(tx, id); err != nil {
				return err
			}
		}
		err = tx.Model(&StaffUser{}).Where("id = ?", id).
			Updates(map[string]any{"name": name, "role": p.Role, "updated_at": now()}).Error
		if err != nil {
			return err
		}
		return setTeams(tx, id, p.TeamIDs)
	})
	if errors.Is(err, ErrLastAdmin) {
		return err
	}
	return passValidation("update staff", err)
}

// SetActive activates or deactivates a staff user. Deactivating the last active admin returns
// ErrLastAdmin. It does not end sessions: the caller does that in the same transaction.
func (s *StaffStore) SetActive(ctx context.Context, id int64, active bool) error {
	err := s.db.WithTx(ctx, func(tx *gorm.DB) error {
		u, err := s.lockStaff(tx, id)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && u.Active && !active {
			if err := otherActiveAdmin(tx, id); err != nil {
				return err
			}
		}
		return tx.Model(&StaffUser{}).Where("id = ?", id).
			Updates(map[string]any{"active": active, "updated_at": now()}).Error
	})
	if errors.Is(err, ErrLastAdmin) {
		return err
	}
	return mapErr("set staff active", err)
}

// lockStaff reads a staff user inside tx. On PostgreSQL it first locks every active admin's row
// (in id order, so two such transactions never deadlock): two admins demoting each other at
// the same moment are then serialised, and the second sees that only one admin is left. On
// SQLite every transaction already holds the write lock.
func (s *StaffStore) lockStaff(tx *gorm.DB, id int64) (StaffUser, error) {
	if s.db.Dialect == Postgres {
		var ids []int64
		err := tx.Raw("SELECT id FROM staff_users WHERE role = ? AND active ORDER BY id FOR UPDATE", RoleAdmin).Scan(&ids).Error
		if err != nil {
			return StaffUser{}, err
		}
	}
	var u StaffUser
	err := tx.Where("id = ?", id).Take(&u).Error
	return u, err
}

// otherActiveAdmin returns ErrLastAdmin unless an active admin other than id exists.
func otherActiveAdmin(tx *gorm.DB, id int64) error {
	var n int64
	err := tx.Model(&StaffUser{}).Where("role = ? AND active = ? AND id <> ?", RoleAdmin, true, id).Count(&n).Error
	if err == nil && n == 0 {
		err = ErrLastAdmin
	}
	return err
}

// setTeams replaces a staff user's team memberships. Unknown team ids are a field error.
func setTeams(tx *gorm.DB, staffID int64, teamIDs []int64) error {
	teamIDs = uniqueIDs(teamIDs)
	if len(teamIDs) > 0 {
		var n int64
		if err := tx.Model(&Team{}).Where("id IN ?", teamIDs).Count(&n).Error; err != nil {
			return err
		}
		if n != int64(len(teamIDs)) {
			return Invalid("teams", "error.staff_team_unknown")
		}
	}
	if err := tx.Where("staff_id = ?", staffID).Delete(&TeamMember{}).Error; err != nil {
		return err
	}
	for _, id := range teamIDs {
		if err := tx.Create(&TeamMember{TeamID: id, StaffID: staffID}).Error; err != nil {
			return err
		}
	}
	return nil
}

// uniqueIDs drops duplicate and non-positive ids, keeping the order.
func uniqueIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// TeamSummary is a team with how many members it has.
type TeamSummary struct {
	Team
	Members int64
}

// TeamsWithCounts returns every team by name with its member count, in one query.
func (s *StaffStore) TeamsWithCounts(ctx context.Context) ([]TeamSummary, error) {
	var out []TeamSummary
	err := s.db.Gorm.WithContext(ctx).Table("teams").
		Select("teams.id, teams.name, teams.created_at, teams.updated_at, COUNT(team_members.staff_id) AS members").
		Joins("LEFT JOIN team_members ON team_members.team_id = teams.id").
		Group("teams.id, teams.name, teams.created_at, teams.updated_at").Order("teams.name, teams.id").Scan(&out).Error
	return out, mapErr("teams with counts", err)
}

// TeamByID returns one team.
func (s *StaffStore) TeamByID(ctx context.Context, id int64) (Team, error) {
	var t Team
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&t).Error
	return t, mapErr("team by id", err)
}

// TeamMemberIDs returns the ids of a team's members.
func (s *StaffStore) TeamMemberIDs(ctx context.Context, teamID int64) ([]int64, error) {
	var ids []int64
	err := s.db.Gorm.WithContext(ctx).Model(&TeamMember{}).Where("team_id = ?", teamID).Order("staff_id").Pluck("staff_id", &ids).Error
	return ids, mapErr("team members", err)
}

// SaveTeam validates and creates (id 0) or updates a team with exactly the given members,
// who must be active staff users; a taken name is a field error.
func (s *StaffStore) SaveTeam(ctx context.Context, id int64, name string, memberIDs []int64) (Team, error) {
	name, err := cleanName("name", "error.team_name", name)
	if err != nil {
		return Team{}, err
	}
	memberIDs = uniqueIDs(memberIDs)
	t := Team{ID: id, Name: name}
	err = s.db.WithTx(ctx, func(tx *gorm.DB) error {
		if len(memberIDs) > 0 {
			var n int64
			if err := tx.Model(&StaffUser{}).Where("id IN ? AND active = ?", memberIDs, true).Count(&n).Error; err != nil {
				return err
			}
			if n != int64(len(memberIDs)) {
				return Invalid("members", "error.team_member_unknown")
			}
		}
		if id == 0 {
			if err := tx.Create(&t).Error; err != nil {
				return err
			}
		} else {
			res := tx.Model(&Team{}).Where("id = ?", id).Updates(map[string]any{"name": name, "updated_at": now()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrNotFound
			}
			if err := tx.Where("team_id = ?", id).Delete(&TeamMember{}).Error; err != nil {
				return err
			}
		}
		for _, sid := range memberIDs {
			if err := tx.Create(&TeamMember{TeamID: t.ID, StaffID: sid}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(mapErr("", err), ErrConflict) {
		return Team{}, Invalid("name", "error.team_name_taken")
	}
	return t, passValidation("save team", err)
}

// DeleteTeam removes a team; its memberships go with it and its tickets keep no team.
func (s *StaffStore) DeleteTeam(ctx context.Context, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&Team{})
	if res.Error != nil {
		return mapErr("delete team", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
