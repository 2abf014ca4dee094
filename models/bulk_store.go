package models

import (
	"context"

	"gorm.io/gorm"
)

// InTx runs fn with a copy of the stores bound to one transaction on ctx: everything fn writes
// through tx commits together, or not at all when fn returns an error. Store methods that open
// their own transaction run inside it, without savepoints: the first of them to fail rolls the
// whole transaction back, even when fn would go on.
//
// Inside fn use only tx, never the outer stores: on SQLite the transaction holds the single
// write lock, so a write through another connection would wait for it until busy_timeout.
// Bulk work (the demo seeder) uses it to keep each chunk of inserts whole and to pay for one
// commit per chunk instead of one per statement.
func (s *Stores) InTx(ctx context.Context, fn func(tx *Stores) error) error {
	var fnErr error
	err := s.DB.WithTx(ctx, func(g *gorm.DB) error {
		bound := *s.DB
		bound.Gorm = g
		if bound.tx == nil {
			bound.tx = &txState{}
		}
		fnErr = fn(NewStores(&bound))
		if fnErr == nil && bound.tx.failed != nil {
			fnErr = bound.tx.failed
		}
		return fnErr
	})
	if fnErr != nil {
		return fnErr // already translated by the stores fn called
	}
	return mapErr("transaction", err)
}
