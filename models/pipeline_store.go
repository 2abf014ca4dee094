package models

import (
	"context"

	"gorm.io/gorm"
)

// PipelineStore reads and writes pipelines and their stages.
type PipelineStore struct{ db *DB }

// Create inserts a pipeline with its stages in one transaction. The first pipeline created
// becomes the default.
func (s *PipelineStore) Create(ctx context.Context, p *Pipeline) error {
	if len(p.Stages) == 0 {
		return Invalid("stages", "error.pipeline_needs_stage")
	}
	if _, ok := p.FirstOpenStage(); !ok {
		return Invalid("stages", "error.pipeline_needs_open_stage")
	}
	return mapErr("create pipeline", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Pipeline{}).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			p.IsDefault = true
		}
		// Stages are inserted with the pipeline through the association.
		return tx.Create(p).Error
	}))
}

// Default returns the default pipeline with its stages in order.
func (s *PipelineStore) Default(ctx context.Context) (Pipeline, error) {
	var p Pipeline
	err := s.db.Gorm.WithContext(ctx).
		Preload("Stages", func(db *gorm.DB) *gorm.DB { return db.Order("position, id") }).
		Where("is_default = ?", true).Order("id").Take(&p).Error
	return p, mapErr("default pipeline", err)
}

// ByID returns a pipeline with its stages in order.
func (s *PipelineStore) ByID(ctx context.Context, id int64) (Pipeline, error) {
	var p Pipeline
	err := s.db.Gorm.WithContext(ctx).
		Preload("Stages", func(db *gorm.DB) *gorm.DB { return db.Order("position, id") }).
		Where("id = ?", id).Take(&p).Error
	return p, mapErr("pipeline by id", err)
}

// All returns every pipeline with its stages, default first.
func (s *PipelineStore) All(ctx context.Context) ([]Pipeline, error) {
	var out []Pipeline
	err := s.db.Gorm.WithContext(ctx).
		Preload("Stages", func(db *gorm.DB) *gorm.DB { return db.Order("position, id") }).
		Order("is_default DESC, position, id").Find(&out).Error
	return out, mapErr("all pipelines", err)
}

// InboxStore reads and writes inboxes.
type InboxStore struct{ db *DB }

// Create inserts an inbox.
func (s *InboxStore) Create(ctx context.Context, in *Inbox) error {
	if in.Settings == nil {
		in.Settings = Props{}
	}
	return mapErr("create inbox", s.db.Gorm.WithContext(ctx).Create(in).Error)
}

// ByName returns the inbox with that name.
func (s *InboxStore) ByName(ctx context.Context, name string) (Inbox, error) {
	var in Inbox
	err := s.db.Gorm.WithContext(ctx).Where("name = ?", name).Take(&in).Error
	return in, mapErr("inbox by name", err)
}

// HasAddress reports whether an inbox receives mail at the address.
func (s *InboxStore) HasAddress(ctx context.Context, email string) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&Inbox{}).Where("LOWER(address) = ?", NormalizeEmail(email)).Count(&n).Error
	return n > 0, mapErr("inbox address", err)
}
