package models

import (
	"context"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// PropertyKind is the input type of a custom ticket property.
type PropertyKind string

// The kinds of custom ticket properties (ticket_property_defs.kind).
const (
	KindText     PropertyKind = "text"
	KindTextarea PropertyKind = "textarea"
	KindSelect   PropertyKind = "select"
	KindNumber   PropertyKind = "number"
	KindDate     PropertyKind = "date"
	KindCheckbox PropertyKind = "checkbox"
)

// PropertyKinds lists every kind in the order the admin form offers them.
var PropertyKinds = []PropertyKind{KindText, KindTextarea, KindSelect, KindNumber, KindDate, KindCheckbox}

// Valid reports whether k is a known kind.
func (k PropertyKind) Valid() bool {
	for _, x := range PropertyKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Limits of property definitions and values.
const (
	MaxPropertyLabel    = 80   // characters of a label
	MaxPropertyOptions  = 50   // choices of a select
	MaxPropertyOption   = 80   // characters of one choice
	MaxPropertyText     = 500  // characters of a text value
	MaxPropertyTextarea = 5000 // characters of a textarea value
	// CheckboxChecked is the value a ticket holds for a ticked checkbox property; an unticked
	// one is stored as the empty string (or "false", which Validate also accepts).
	CheckboxChecked = "true"
	// CategoryProperty is the built-in property key a stage may require besides custom keys.
	CategoryProperty = "category"
)

// propertyKeyPattern is the shape of a custom property key: it is stored in JSON, used as a
// form field name and in URLs, so it stays plain.
var propertyKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidPropertyDefKey reports whether key has the shape of a custom property key.
func ValidPropertyDefKey(key string) bool { return propertyKeyPattern.MatchString(key) }

// TicketPropertyDef defines one custom ticket property (SPEC D-10). Ticket values live in
// tickets.properties under Key; Options holds the choices of a select.
type TicketPropertyDef struct {
	ID        int64
	Key       string
	Label     string
	Kind      string
	Options   Strings
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName maps TicketPropertyDef to its table.
func (TicketPropertyDef) TableName() string { return "ticket_property_defs" }

// Validate checks a ticket's value for this property against its kind and options. The empty
// value is always allowed (the property is unset). Errors are ValidationErrors on the field
// named after the key, with codes the translator knows.
func (d TicketPropertyDef) Validate(value string) error {
	if value == "" {
		return nil
	}
	if !utf8.ValidString(value) {
		return Invalid(d.Key, "error.property_value_text")
	}
	switch PropertyKind(d.Kind) {
	case KindText:
		if strings.ContainsAny(value, "\r\n") || utf8.RuneCountInString(value) > MaxPropertyText {
			return Invalid(d.Key, "error.property_value_text")
		}
	case KindTextarea:
		if utf8.RuneCountInString(value) > MaxPropertyTextarea {
			return Invalid(d.Key, "error.property_value_textarea")
		}
	case KindSelect:
		for _, o := range d.Options {
			if value == o {
				return nil
			}
		}
		return Invalid(d.Key, "error.property_value_select")
	case KindNumber:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || len(value) > 40 {
			return Invalid(d.Key, "error.property_value_number")
		}
	case KindDate:
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return Invalid(d.Key, "error.property_value_date")
		}
	case KindCheckbox:
		if value != CheckboxChecked && value != "false" {
			return Invalid(d.Key, "error.property_value_checkbox")
		}
	default:
		return Invalid(d.Key, "error.property_kind")
	}
	return nil
}

// PropertyStore keeps the definitions of custom ticket properties (ticket_property_defs).
type PropertyStore struct{ db *DB }

// All returns every property definition in display order. The list is small (an admin
// defines a handful), so it is not paginated.
func (s *PropertyStore) All(ctx context.Context) ([]TicketPropertyDef, error) {
	var out []TicketPropertyDef
	err := s.db.Gorm.WithContext(ctx).Order("position, id").Find(&out).Error
	return out, mapErr("all property defs", err)
}

// ByID returns one property definition.
func (s *PropertyStore) ByID(ctx context.Context, id int64) (TicketPropertyDef, error) {
	var d TicketPropertyDef
	err := s.db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&d).Error
	return d, mapErr("property def by id", err)
}

// PropertyInput is what the admin form gives for a property definition. Key is read only when
// the definition is created: it names the values stored on tickets and never changes.
type PropertyInput struct {
	Key, Label string
	Kind       PropertyKind
	Options    []string // the choices of a select, in order; ignored for other kinds
	Position   int
}

// clean validates everything but the key and returns the options to store.
func (in PropertyInput) clean() (PropertyInput, error) {
	in.Label = strings.TrimSpace(in.Label)
	if in.Label == "" || !utf8.ValidString(in.Label) || utf8.RuneCountInString(in.Label) > MaxPropertyLabel ||
		strings.ContainsFunc(in.Label, unicode.IsControl) {
		return in, Invalid("label", "error.property_label")
	}
	if !in.Kind.Valid() {
		return in, Invalid("kind", "error.property_kind")
	}
	if in.Position < 0 || in.Position > 100000 {
		return in, Invalid("position", "error.property_position")
	}
	if in.Kind != KindSelect {
		in.Options = Strings{}
		return in, nil
	}
	var opts Strings
	for _, o := range in.Options {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			continue
		case !utf8.ValidString(o) || utf8.RuneCountInString(o) > MaxPropertyOption || strings.ContainsFunc(o, unicode.IsControl):
			return in, Invalid("options", "error.property_option")
		case slices.Contains(opts, o):
			return in, Invalid("options", "error.property_option_duplicate")
		}
		opts = append(opts, o)
	}
	if len(opts) == 0 || len(opts) > MaxPropertyOptions {
		return in, Invalid("options", "error.property_options_count")
	}
	in.Options = opts
	return in, nil
}

// Create validates and inserts a property definition. The key must have the shape of
// ValidPropertyDefKey, must not be a built-in property's name and must be unused.
func (s *PropertyStore) Create(ctx context.Context, in PropertyInput) (TicketPropertyDef, error) {
	key := strings.TrimSpace(in.Key)
	if !ValidPropertyDefKey(key) {
		return TicketPropertyDef{}, Invalid("key", "error.property_key")
	}
	if slices.Contains(builtInProperties, key) {
		return TicketPropertyDef{}, Invalid("key", "error.property_key_taken")
	}
	in, err := in.clean()
	if err != nil {
		return TicketPropertyDef{}, err
	}
	d := TicketPropertyDef{Key: key, Label: in.Label, Kind: string(in.Kind), Options: in.Options, Position: in.Position}
	err = mapErr("create property def", s.db.Gorm.WithContext(ctx).Create(&d).Error)
	if errors.Is(err, ErrConflict) {
		return TicketPropertyDef{}, Invalid("key", "error.property_key_taken")
	}
	return d, err
}

// Update validates and saves a definition's label, kind, options and position; its key stays.
// Values already stored on tickets are kept as they are, even when they no longer fit a new
// kind: they are checked again when an agent next edits them.
func (s *PropertyStore) Update(ctx context.Context, id int64, in PropertyInput) error {
	in, err := in.clean()
	if err != nil {
		return err
	}
	res := s.db.Gorm.WithContext(ctx).Model(&TicketPropertyDef{}).Where("id = ?", id).Updates(map[string]any{
		"label": in.Label, "kind": string(in.Kind), "options": Strings(in.Options), "position": in.Position, "updated_at": now()})
	if res.Error != nil {
		return mapErr("update property def", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes a definition and takes its key off every stage that required it, in one
// transaction. Values stored on tickets under the key stay but are no longer shown.
func (s *PropertyStore) Delete(ctx context.Context, id int64) error {
	return mapErr("delete property def", s.db.WithTx(ctx, func(tx *gorm.DB) error {
		var d TicketPropertyDef
		if err := tx.Where("id = ?", id).Take(&d).Error; err != nil {
			return err
		}
		// Stages are a handful of rows; filtering their JSON in Go works the same on both engines.
		var stages []PipelineStage
		if err := tx.Find(&stages).Error; err != nil {
			return err
		}
		for _, st := range stages {
			if !slices.Contains(st.RequiredProperties, d.Key) {
				continue
			}
			keep := slices.DeleteFunc(slices.Clone(st.RequiredProperties), func(k string) bool { return k == d.Key })
			if err := tx.Model(&PipelineStage{}).Where("id = ?", st.ID).Update("required_properties", Strings(keep)).Error; err != nil {
				return err
			}
		}
		return tx.Where("id = ?", id).Delete(&TicketPropertyDef{}).Error
	}))
}

// builtInProperties are the names of the ticket's own fields: a custom key may not take one,
// so that a stage's required "category" is never ambiguous.
var builtInProperties = []string{"category", "priority", "subject", "status", "stage", "pipeline", "owner", "team",
	"contact", "company", "channel", "description"}
