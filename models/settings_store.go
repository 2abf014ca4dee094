package models

import (
	"context"
	"encoding/json"
	"errors"

	"time"

	"gorm.io/gorm/clause"
)

// setting is one row of the key/value settings table.
type setting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (setting) TableName() string { return "settings" }

// SettingsStore keeps installation-wide settings as JSON documents under fixed keys.
type SettingsStore struct{ db *DB }

// Get decodes the document under key into dst; a missing key returns ErrNotFound and leaves dst
// as it was (callers pass a value filled with defaults).
func (s *SettingsStore) Get(ctx context.Context, key string, dst any) error {
	var row setting
	if err := s.db.Gorm.WithContext(ctx).Where("key = ?", key).Take(&row).Error; err != nil {
		return mapErr("get setting", err)
	}
	if err := json.Unmarshal([]byte(row.Value), dst); err != nil {
		return errors.New("models: setting " + key + " is not valid JSON")
	}
	return nil
}

// Put stores v as JSON under key.
func (s *SettingsStore) Put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	row := setting{Key: key, Value: string(b), UpdatedAt: now()}
	err = s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&row).Error
	return mapErr("put setting", err)
}

// PutIfAbsent stores v under key unless the key exists; it reports whether it stored.
func (s *SettingsStore) PutIfAbsent(ctx context.Context, key string, v any) (bool, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	res := s.db.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&setting{Key: key, Value: string(b), UpdatedAt: now()})
	return res.RowsAffected == 1, mapErr("put setting", res.Error)
}
