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
	var b []byte
	switch v := src.(type) {
	case nil:
		*p = Props{}
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("models: cannot scan %T into Props", src)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("models: props: %w", err)
	}
	*p = m
	return nil
}
