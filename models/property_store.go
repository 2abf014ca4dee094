package models

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// ValidPropertyKey reports whether key has the shape of a custom property key.
func ValidPropertyKey(key string) bool { return propertyKeyPattern.MatchString(key) }

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
