package models

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// FilterRule is one admin rule deciding which tickets the portal shows (SPEC T-4): a ticket
// property, an operator and values. Only tickets matching every rule exist for the portal.
type FilterRule struct {
	Property string   `json:"property"` // "pipeline", "category", "priority", "source_channel", or "prop:<key>"
	Op       string   `json:"op"`       // "is", "is_not", "any_of"
	Values   []string `json:"values"`
}

// Filter operators.
const (
	OpIs    = "is"
	OpIsNot = "is_not"
	OpAnyOf = "any_of"
)

// filterColumns maps built-in filter properties to their columns: the allowlist that keeps user
// input out of SQL identifiers (INJ-01).
var filterColumns = map[string]string{
	"pipeline":       "tickets.pipeline_id",
	"category":       "tickets.category",
	"priority":       "tickets.priority",
	"source_channel": "tickets.source_channel",
}

var propKeyRe = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// FilterProperties lists the properties a rule may name besides custom "prop:<key>" ones.
func FilterProperties() []string {
	return []string{"pipeline", "category", "priority", "source_channel"}
}

// Validate checks a rule and names what is wrong.
func (r FilterRule) Validate() error {
	if _, ok := filterColumns[r.Property]; !ok {
		key, isProp := strings.CutPrefix(r.Property, "prop:")
		if !isProp || !propKeyRe.MatchString(key) {
			return Invalid("property", "error.filter_property")
		}
	}
	switch r.Op {
	case OpIs, OpIsNot:
		if len(r.Values) != 1 {
			return Invalid("values", "error.filter_values")
		}
	case OpAnyOf:
		if len(r.Values) == 0 || len(r.Values) > 50 {
			return Invalid("values", "error.filter_values")
		}
	default:
		return Invalid("op", "error.filter_op")
	}
	for _, v := range r.Values {
		if len(v) > 200 {
			return Invalid("values", "error.filter_values")
		}
		if r.Property == "pipeline" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return Invalid("values", "error.filter_values")
			}
		}
	}
	return nil
}

// applyFilter adds the rules to a ticket query as bound conditions. Column names come only from
// the allowlist; custom property keys are validated and bound, never spliced.
func applyFilter(q *gorm.DB, dialect Dialect, rules []FilterRule) (*gorm.DB, error) {
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		col, ok := filterColumns[r.Property]
		var args []any
		if !ok {
			key := strings.TrimPrefix(r.Property, "prop:")
			if dialect == Postgres {
				col = "(tickets.properties ->> ?)"
				args = append(args, key)
			} else {
				col = "json_extract(tickets.properties, ?)"
				args = append(args, "$."+key)
			}
		}
		values := make([]any, len(r.Values))
		for i, v := range r.Values {
			values[i] = v
			if r.Property == "pipeline" {
				n, _ := strconv.ParseInt(v, 10, 64)
				values[i] = n
			}
		}
		switch r.Op {
		case OpIs:
			q = q.Where(fmt.Sprintf("%s = ?", col), append(args, values[0])...)
		case OpIsNot:
			// A missing custom property is "not" any value.
			q = q.Where(fmt.Sprintf("(%s IS NULL OR %s <> ?)", col, col), append(append(args, args...), values[0])...)
		case OpAnyOf:
			q = q.Where(fmt.Sprintf("%s IN ?", col), append(args, values)...)
		}
	}
	return q, nil
}
