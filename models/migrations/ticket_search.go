package migrations

import "gorm.io/gorm"

// ticketSearch is a placeholder until the ticket search migration is written.
func ticketSearch(tx *gorm.DB, dialect string) error { return nil }
