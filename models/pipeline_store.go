package models

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// MaxNameLength is the longest name, in characters, of a pipeline, stage, team or inbox.
const MaxNameLength = 80

// cleanName trims a name and checks it: 1 to MaxNameLength characters, valid UTF-8, no
// control characters (names end up in e-mail subjects and log lines).
func cleanName(field, code, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLength ||
		strings.ContainsFunc(s, unicode.IsControl) {
		return "", Invalid(field, code)
	}
	return s, nil
}

// PipelineStore reads and writes pipelines and their stages.
type PipelineStore struct{ db *DB }

// Create inserts a pipeline with its stages in one transaction. The first pipeline created
// becomes the default; a pipeline created with IsDefault set takes the default from the one
// that had it.
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
		} else if p.IsDefault {
			if err := tx.Model(&Pipeline{}).Where("is_default = ?", true).Update("is_default", false).Error; err != nil {
				return err
			}
		}
		// Stages are inserted with the pipeline through the association.
		return tx.Create(p).Error
	}))
}

// NewPipeline is what the admin form gives to create a pipeline: its name, whether it becomes
// the default, and the names of its first open and first closed stage (a pipeline always has
// one of each).
type NewPipeline struct {
	Name, OpenStage, ClosedStage string
	IsDefault                    bool
}

// Add validates and creates a pipeline from the admin form, positioned after the others.
func (s *PipelineStore) Add(ctx context.Context, in NewPipeline) (Pipeline, error) {
	name, err := cleanName("name", "error.pipeline_name", in.Name)
	if err != nil {
		return Pipeline{}, err
	}
	open, err := cleanName("open_stage", "error.stage_name", in.OpenStage)
	if err != nil {
		return Pipeline{}, err
	}
	closed, err := cleanName("closed_stage", "error.stage_name", in.ClosedStage)
	if err != nil {
		return Pipeline{}, err
	}
	var last struct{ Max int }
	if err := s.db.Gorm.WithContext(ctx).Model(&Pipeline{}).Select("COALESCE(MAX(position), 0) AS max").Scan(&last).Error; err != nil {
		return Pipeline{}, mapErr("pipeline position", err)
	}
	p := Pipeline{Name: name, IsDefault: in.IsDefault, Position: last.Max + 1, Stages: []PipelineStage{
		{Name: open, Position: 1}, {Name: closed, Position: 2, IsClosed: true},
	}}
	err = s.Create(ctx, &p)
	if errors.Is(err, ErrConflict) {
		return Pipeline{}, Invalid("name", "error.pipeline_name_taken")
	}
	return p, err
}

// Update renames a pipeline and, when makeDefault is set, makes it the default. There is
// always exactly one default: the default pipeline cannot be unmarked, only replaced by
// marking another.
func (s *PipelineStore) Update(ctx context.Context, id int64, name string, makeDefault bool) error {
	name, err := cleanName("name", "error.pipeline_name", name)
	if err != nil {
		return err
	}
	err = s.db.WithTx(ctx, func(tx *gorm.DB) error {
		p, err := lockPipeline(tx, id)
		if err != nil {
			return err
		}
		if p.IsDefault && !makeDefault {
			return Invalid("is_default", "error.pipeline_default_required")
		}
		if makeDefault && !p.IsDefault {
			if err := tx.Model(&Pipeline{}).Where("is_default = ?", true).Update("is_default", false).Error; err != nil {
				return err
			}
		}
		return tx.Model(&Pipeline{}).Where("id = ?", id).
			Updates(map[string]any{"name": name, "is_default": makeDefault || p.IsDefault, "updated_at": now()}).Error
	})
	if errors.Is(mapErr("", err), ErrConflict) {
		return Invalid("name", "error.pipeline_name_taken")
	}
	return passValidation("update pipeline", err)
}

// Delete removes a pipeline with its stages. The default pipeline and a pipeline that still
// has tickets cannot be deleted: the error says which.
func (s *PipelineStore) Delete(ctx context.Context, id int64) error {
	return passValidation("delete pipeline", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		p, err := lockPipeline(tx, id)
		if err != nil {
			return err
		}
		if p.IsDefault {
			return Invalid("delete", "error.pipeline_delete_default")
		}
		if has, err := exists(tx.Model(&Ticket{}).Where("pipeline_id = ?", id)); err != nil || has {
			if err == nil {
				err = Invalid("delete", "error.pipeline_delete_tickets")
			}
			return err
		}
		return tx.Where("id = ?", id).Delete(&Pipeline{}).Error
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

// TicketCounts returns how many tickets each pipeline holds, by pipeline id, in one grouped
// query (pipelines without tickets are absent).
func (s *PipelineStore) TicketCounts(ctx context.Context) (map[int64]int64, error) {
	return groupCount(s.db.Gorm.WithContext(ctx).Model(&Ticket{}), "pipeline_id")
}

// StageTicketCounts returns how many tickets each stage of a pipeline holds, by stage id.
func (s *PipelineStore) StageTicketCounts(ctx context.Context, pipelineID int64) (map[int64]int64, error) {
	return groupCount(s.db.Gorm.WithContext(ctx).Model(&Ticket{}).Where("pipeline_id = ?", pipelineID), "stage_id")
}

// StageInput is what the admin form gives for a stage.
type StageInput struct {
	Name               string
	IsClosed           bool
	RequiredProperties []string // "category" or custom property keys
}

// AddStage appends a stage to a pipeline.
func (s *PipelineStore) AddStage(ctx context.Context, pipelineID int64, in StageInput) (PipelineStage, error) {
	name, err := cleanName("name", "error.stage_name", in.Name)
	if err != nil {
		return PipelineStage{}, err
	}
	var st PipelineStage
	err = s.db.WithTx(ctx, func(tx *gorm.DB) error {
		p, err := lockPipeline(tx, pipelineID)
		if err != nil {
			return err
		}
		req, err := requiredKeys(tx, in.RequiredProperties)
		if err != nil {
			return err
		}
		pos := 0
		for _, x := range p.Stages {
			pos = max(pos, x.Position)
		}
		st = PipelineStage{PipelineID: pipelineID, Name: name, Position: pos + 1, IsClosed: in.IsClosed, RequiredProperties: req}
		return tx.Create(&st).Error
	})
	return st, passValidation("add stage", err)
}

// UpdateStage renames a stage, sets it open or closed and sets its required properties. A
// pipeline keeps at least one open and one closed stage. When the stage changes between open
// and closed, its tickets follow in the same transaction (tickets.is_closed, closed_at).
func (s *PipelineStore) UpdateStage(ctx context.Context, pipelineID, stageID int64, in StageInput) error {
	name, err := cleanName("name", "error.stage_name", in.Name)
	if err != nil {
		return err
	}
	return passValidation("update stage", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		p, err := lockPipeline(tx, pipelineID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(p.Stages, func(x PipelineStage) bool { return x.ID == stageID })
		if i < 0 {
			return ErrNotFound
		}
		req, err := requiredKeys(tx, in.RequiredProperties)
		if err != nil {
			return err
		}
		flipped := p.Stages[i].IsClosed != in.IsClosed
		p.Stages[i].IsClosed = in.IsClosed
		if err := keepsOpenAndClosed(p.Stages, "is_closed"); err != nil {
			return err
		}
		t := now()
		err = tx.Model(&PipelineStage{}).Where("id = ?", stageID).Updates(map[string]any{
			"name": name, "is_closed": in.IsClosed, "required_properties": req, "updated_at": t}).Error
		if err != nil || !flipped {
			return err
		}
		return syncTicketsClosed(tx, stageID, in.IsClosed, t)
	}))
}

// syncTicketsClosed copies a stage's new open/closed state onto its tickets: closing stamps
// closed_at where it was unset, opening clears it.
func syncTicketsClosed(tx *gorm.DB, stageID int64, closed bool, t any) error {
	q := tx.Model(&Ticket{}).Where("stage_id = ?", stageID)
	if closed {
		return q.Updates(map[string]any{"is_closed": true, "closed_at": gorm.Expr("COALESCE(closed_at, ?)", t)}).Error
	}
	return q.Updates(map[string]any{"is_closed": false, "closed_at": nil}).Error
}

// MoveStage moves a stage one place up (delta -1) or down (delta +1) in its pipeline; at
// either end it stays where it is. Positions are rewritten 1…n, which also repairs ties.
func (s *PipelineStore) MoveStage(ctx context.Context, pipelineID, stageID int64, delta int) error {
	return passValidation("move stage", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		p, err := lockPipeline(tx, pipelineID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(p.Stages, func(x PipelineStage) bool { return x.ID == stageID })
		if i < 0 {
			return ErrNotFound
		}
		if j := i + delta; (delta == -1 || delta == 1) && j >= 0 && j < len(p.Stages) {
			p.Stages[i], p.Stages[j] = p.Stages[j], p.Stages[i]
		}
		for k, st := range p.Stages {
			if st.Position == k+1 {
				continue
			}
			if err := tx.Model(&PipelineStage{}).Where("id = ?", st.ID).Update("position", k+1).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

// DeleteStage removes a stage that holds no tickets, as long as the pipeline keeps an open
// and a closed stage.
func (s *PipelineStore) DeleteStage(ctx context.Context, pipelineID, stageID int64) error {
	return passValidation("delete stage", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		p, err := lockPipeline(tx, pipelineID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(p.Stages, func(x PipelineStage) bool { return x.ID == stageID })
		if i < 0 {
			return ErrNotFound
		}
		if has, err := exists(tx.Model(&Ticket{}).Where("stage_id = ?", stageID)); err != nil || has {
			if err == nil {
				err = Invalid("delete", "error.stage_delete_tickets")
			}
			return err
		}
		if err := keepsOpenAndClosed(slices.Delete(p.Stages, i, i+1), "delete"); err != nil {
			return err
		}
		return tx.Where("id = ?", stageID).Delete(&PipelineStage{}).Error
	}))
}

// lockPipeline takes the pipeline's row lock for the rest of tx (an UPDATE locks the row on
// PostgreSQL; on SQLite every transaction already holds the write lock) and returns it with
// its stages in order, so two admins changing one pipeline's stages cannot together leave it
// without an open or a closed stage.
func lockPipeline(tx *gorm.DB, id int64) (Pipeline, error) {
	res := tx.Exec("UPDATE pipelines SET updated_at = updated_at WHERE id = ?", id)
	if res.Error != nil {
		return Pipeline{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Pipeline{}, ErrNotFound
	}
	var p Pipeline
	err := tx.Preload("Stages", func(db *gorm.DB) *gorm.DB { return db.Order("position, id") }).
		Where("id = ?", id).Take(&p).Error
	return p, err
}

// keepsOpenAndClosed checks that stages hold at least one open and one closed stage.
func keepsOpenAndClosed(stages []PipelineStage, field string) error {
	open := slices.ContainsFunc(stages, func(x PipelineStage) bool { return !x.IsClosed })
	closed := slices.ContainsFunc(stages, func(x PipelineStage) bool { return x.IsClosed })
	switch {
	case !open:
		return Invalid(field, "error.stage_last_open")
	case !closed:
		return Invalid(field, "error.stage_last_closed")
	}
	return nil
}

// requiredKeys checks a stage's required properties: each is "category" or the key of a
// custom property definition. Duplicates are dropped; the order follows the definitions.
func requiredKeys(tx *gorm.DB, keys []string) (Strings, error) {
	if len(keys) == 0 {
		return Strings{}, nil
	}
	var defined []string
	if err := tx.Model(&TicketPropertyDef{}).Order("position, id").Pluck("key", &defined).Error; err != nil {
		return nil, err
	}
	allowed := append([]string{CategoryProperty}, defined...)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return nil, Invalid("required", "error.stage_required_unknown")
		}
	}
	out := Strings{}
	for _, k := range allowed {
		if slices.Contains(keys, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// exists reports whether q matches any row, reading at most one.
func exists(q *gorm.DB) (bool, error) {
	var ids []int64
	err := q.Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, err
}

// groupCount counts q's rows grouped by one id column.
func groupCount(q *gorm.DB, column string) (map[int64]int64, error) {
	var rows []struct {
		K int64
		N int64
	}
	if err := q.Select(column + " AS k, COUNT(*) AS n").Group(column).Scan(&rows).Error; err != nil {
		return nil, mapErr("count by "+column, err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, nil
}

// passValidation maps a transaction's error like mapErr but lets ValidationErrors through
// unwrapped, so handlers can show them next to their field.
func passValidation(op string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return mapErr(op, err)
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

// ByID returns one inbox.
func (s *InboxStore) ByID(ctx context.Context, id int64) (Inbox, error) {
	var in Inbox
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&in).Error
	return in, mapErr("inbox by id", err)
}

// HasAddress reports whether an inbox receives mail at the address.
func (s *InboxStore) HasAddress(ctx context.Context, email string) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Model(&Inbox{}).Where("LOWER(address) = ?", NormalizeEmail(email)).Count(&n).Error
	return n > 0, mapErr("inbox address", err)
}

// InboxInput is what the admin form gives for an inbox.
type InboxInput struct {
	Name    string
	Channel Channel
	Address string
	Active  bool
}

// clean validates the input: a name, a known channel, and for e-mail inboxes a plain e-mail
// address (stored lower-case, as HasAddress compares it).
func (in InboxInput) clean() (InboxInput, error) {
	name, err := cleanName("name", "error.inbox_name", in.Name)
	if err != nil {
		return in, err
	}
	in.Name, in.Address = name, strings.TrimSpace(in.Address)
	if !in.Channel.Valid() {
		return in, Invalid("channel", "error.inbox_channel")
	}
	if len(in.Address) > 254 || strings.ContainsFunc(in.Address, unicode.IsControl) {
		return in, Invalid("address", "error.inbox_address")
	}
	if in.Channel == ChannelEmail {
		in.Address = NormalizeEmail(in.Address)
		if a, err := mail.ParseAddress(in.Address); err != nil || a.Address != in.Address {
			return in, Invalid("address", "error.email_invalid")
		}
	}
	return in, nil
}

// Add validates and creates an inbox; a taken name is a field error.
func (s *InboxStore) Add(ctx context.Context, in InboxInput) (Inbox, error) {
	in, err := in.clean()
	if err != nil {
		return Inbox{}, err
	}
	box := Inbox{Name: in.Name, Channel: in.Channel, Address: in.Address, Active: in.Active, Settings: Props{}}
	err = s.Create(ctx, &box)
	if errors.Is(err, ErrConflict) {
		return Inbox{}, Invalid("name", "error.inbox_name_taken")
	}
	return box, err
}

// Update validates and saves an inbox's name, channel, address and active flag.
func (s *InboxStore) Update(ctx context.Context, id int64, in InboxInput) error {
	in, err := in.clean()
	if err != nil {
		return err
	}
	res := s.db.Gorm.WithContext(ctx).Model(&Inbox{}).Where("id = ?", id).Updates(map[string]any{
		"name": in.Name, "channel": in.Channel, "address": in.Address, "active": in.Active, "updated_at": now()})
	if err := mapErr("update inbox", res.Error); err != nil {
		if errors.Is(err, ErrConflict) {
			return Invalid("name", "error.inbox_name_taken")
		}
		return err
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// InUse reports whether any conversation thread came through the inbox.
func (s *InboxStore) InUse(ctx context.Context, id int64) (bool, error) {
	has, err := exists(s.db.Gorm.WithContext(ctx).Model(&Thread{}).Where("inbox_id = ?", id))
	return has, mapErr("inbox in use", err)
}

// Delete removes an inbox no thread came through; one in use must be deactivated instead,
// so its conversations keep saying where they arrived.
func (s *InboxStore) Delete(ctx context.Context, id int64) error {
	return passValidation("delete inbox", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		if has, err := exists(tx.Model(&Thread{}).Where("inbox_id = ?", id)); err != nil || has {
			if err == nil {
				err = Invalid("delete", "error.inbox_delete_in_use")
			}
			return err
		}
		res := tx.Where("id = ?", id).Delete(&Inbox{})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	}))
}
