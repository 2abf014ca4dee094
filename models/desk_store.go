package models

// DeskStore keeps what the agents' desk adds around tickets: timeline events, saved views and
// notifications.
type DeskStore struct{ db *DB }
