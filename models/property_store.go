package models

// PropertyStore keeps the definitions of custom ticket properties (ticket_property_defs).
type PropertyStore struct{ db *DB }
