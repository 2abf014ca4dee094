package models

// StaffTokenStore keeps single-use staff invitation and password-reset tokens (staff_tokens).
type StaffTokenStore struct{ db *DB }
