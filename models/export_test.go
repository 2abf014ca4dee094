package models

import (
	"context"
	"strings"
)

// SQLiteMessagePlan reports which plan SQLite's portal search would use for the scope and
// words: "scope" (the scope's messages first) or "index" (the full-text index first).
func (s *TicketStore) SQLiteMessagePlan(ctx context.Context, scope PortalScope, view, words string) (string, error) {
	q, err := s.scoped(ctx, scope, view)
	if err != nil {
		return "", err
	}
	first, err := s.sqliteScopeFirst(q, ftsMatch(KBSearchQuery{Terms: SearchTerms(strings.TrimSpace(words))}))
	if first {
		return "scope", err
	}
	return "index", err
}
