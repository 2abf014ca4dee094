package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// Props is a flat map of custom properties stored as a JSON object (TEXT on SQLite, JSONB on
// PostgreSQL).
type Props map[string]string

// Value encodes p as a JSON object; nil becomes {}.
func (p Props) Value() (driver.Value, error) {
	if p == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(p))
	return string(b), err
}

// Scan decodes a JSON object from either engine.
func (p *Props) Scan(src any) error {
	if src == nil {
		*p = Props{}
		return nil
	}
	b, err := jsonBytes(src, "Props")
	if err != nil {
		return err
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("models: props: %w", err)
	}
	*p = m
	return nil
}

// Strings is a list of strings stored as a JSON array (a stage's required properties, a select
// property's options).
type Strings []string

// Value encodes s as a JSON array; nil becomes [].
func (s Strings) Value() (driver.Value, error) {
	if s == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(s))
	return string(b), err
}

// Scan decodes a JSON array from either engine.
func (s *Strings) Scan(src any) error {
	if src == nil {
		*s = nil
		return nil
	}
	b, err := jsonBytes(src, "Strings")
	if err != nil {
		return err
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("models: strings: %w", err)
	}
	*s = out
	return nil
}

// jsonBytes is a JSON column's value as bytes: TEXT on SQLite, JSONB on PostgreSQL.
func jsonBytes(src any, into string) ([]byte, error) {
	switch v := src.(type) {
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("models: cannot scan %T into %s", src, into)
}
