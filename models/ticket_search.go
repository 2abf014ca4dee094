package models

// Portal ticket search (SPEC T-1, SECURITY INJ-01) and counts (SPEC T-4): both go through the
// same scope as the listing (TicketStore.scoped), so the contact, company and admin filter rules
// apply to them exactly as to ForPortal. The search indexes (migration 0006) hold ticket subjects
// and customer-visible message bodies only: a word that only an internal note holds finds
// nothing. Input becomes plain words first (SearchTerms: letters and digits, at most 10 from the
// first 200 characters); each engine then gets them quoted, so that no input is query syntax.

import (
	"context"

	"gorm.io/gorm"
)

// Portal search limits.
const (
	// TicketSearchMax is the most tickets one portal search returns.
	TicketSearchMax = 50
	// ticketSearchCandidates bounds each half of a search (subject matches, message matches):
	// the newest this many matches within the scope are the only tickets ever ordered.
	ticketSearchCandidates = 200
)

// SearchPortal finds the tickets a scope may see (in the given view) whose subject holds every
// word of the query, or that have one customer-visible message holding every word. Results come
// newest activity first, at most limit (1…TicketSearchMax, TicketSearchMax when out of range).
// An empty query, or one without a single letter or digit, returns nil.
//
// The plan never sorts all of a company's tickets:
//
//  1. Candidates. Two queries, each the full-text match joined to the scoped tickets and cut
//     at ticketSearchCandidates rows, newest first by id: tickets by subject, and tickets by
//     public message. The scope is inside each query, so other customers' matches never crowd
//     out the viewer's; ids grow with time, so "newest by id" is the recency an index gives
//     without a sort. SQLite drives the join from the FTS5 table, which yields rowids in
//     descending order: it stops after the cap, having looked up (by primary key) only the
//     matches it walked. PostgreSQL chooses by its statistics between a bitmap scan of the GIN
//     index (words rarer than the scope is large) and the scope's own index with the words
//     checked row by row (a small scope); either way only matches inside the scope reach the
//     top-N sort. Measured on 2,000 tickets: BenchmarkSearchPortal.
//  2. Order. The at most 2×ticketSearchCandidates tickets found are read again through the
//     scope, by primary key, and ordered by last activity: only they are sorted.
//
// A scope with more matches than the cap shows the most recent of them: ask for more words.
// The cost that is left grows, on SQLite, with the matches of a word across the whole help
// desk that lie outside the scope (a word everyone uses but the viewer): 2,000 such matches
// cost about 2 ms here.
func (s *TicketStore) SearchPortal(ctx context.Context, scope PortalScope, view, query string, limit int) ([]PortalTicketRow, error) {
	terms := SearchTerms(query)
	if len(terms) == 0 {
		return nil, nil
	}
	if limit <= 0 || limit > TicketSearchMax {
		limit = TicketSearchMax
	}
	ids, err := s.searchCandidates(ctx, scope, view, terms)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	q, err := s.scoped(ctx, scope, view)
	if err != nil {
		return nil, err
	}
	var rows []PortalTicketRow
	err = q.Where("tickets.id IN ?", ids).
		Select("tickets.number, tickets.subject, tickets.stage_id, tickets.is_closed, tickets.created_at, tickets.last_activity_at").
		Order("tickets.last_activity_at DESC, tickets.id DESC").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, mapErr("portal search", err)
	}
	return rows, nil
}

// searchCandidates returns the ids of the tickets in scope with a matching subject or public
// message, each half the newest ticketSearchCandidates, without duplicates (step 1 above).
func (s *TicketStore) searchCandidates(ctx context.Context, scope PortalScope, view string, terms []string) ([]int64, error) {
	bySubject, err := s.scoped(ctx, scope, view)
	if err != nil {
		return nil, err
	}
	byMessage, err := s.scoped(ctx, scope, view)
	if err != nil {
		return nil, err
	}
	return s.matchCandidates(bySubject, byMessage, nil, terms)
}

// matchCandidates runs the candidate queries of a search over copies of one ticket query (the
// portal's scope, or the desk's filters) and merges their ids: subject matches first, then
// public messages, then, when byNote is given (the desk only, never the portal), internal notes.
func (s *TicketStore) matchCandidates(bySubject, byMessage, byNote *gorm.DB, terms []string) ([]int64, error) {
	if s.db.Dialect == Postgres {
		tsq, arg := tsQuery(KBSearchQuery{Terms: terms})
		bySubject = bySubject.Where("tickets.subject_tsv @@ "+tsq, arg).
			Order("tickets.id DESC")
		// The literal NOT messages.is_internal matches the partial index's predicate; a bound
		// false would not let the planner use it for a generic plan.
		byMessage = byMessage.Joins("JOIN messages ON messages.ticket_id = tickets.id AND NOT messages.is_internal").
			Where("messages.body_tsv @@ "+tsq, arg).
			Order("messages.id DESC")
		if byNote != nil { // the notes' own partial index (0009)
			byNote = byNote.Joins("JOIN messages ON messages.ticket_id = tickets.id AND messages.is_internal").
				Where("messages.body_tsv @@ "+tsq, arg).
				Order("messages.id DESC")
		}
	} else {
		match := ftsMatch(KBSearchQuery{Terms: terms})
		bySubject = bySubject.Joins("JOIN ticket_subject_fts ON ticket_subject_fts.rowid = tickets.id").
			Where("ticket_subject_fts MATCH ?", match).Order("ticket_subject_fts.rowid DESC")
		scopeFirst, err := s.sqliteScopeFirst(byMessage, match)
		if err != nil {
			return nil, err
		}
		// The index holds public messages only; the join repeats the rule all the same.
		if scopeFirst {
			// CROSS JOIN fixes the order (the scope's tickets, then their messages by index);
			// the unary + keeps SQLite from driving the join by the IN list instead, which it
			// builds once into a temporary b-tree of rowids.
			byMessage = byMessage.Joins("CROSS JOIN messages ON messages.ticket_id = tickets.id AND messages.is_internal = 0").
				Where("+messages.id IN (SELECT rowid FROM ticket_message_fts WHERE ticket_message_fts MATCH ?)", match).
				Order("messages.id DESC")
		} else {
			byMessage = byMessage.Joins("JOIN messages ON messages.ticket_id = tickets.id AND messages.is_internal = 0").
				Joins("JOIN ticket_message_fts ON ticket_message_fts.rowid = messages.id").
				Where("ticket_message_fts MATCH ?", match).Order("ticket_message_fts.rowid DESC")
		}
		if byNote != nil {
			byNote = byNote.Joins("JOIN messages ON messages.ticket_id = tickets.id AND messages.is_internal <> 0").
				Joins("JOIN ticket_note_fts ON ticket_note_fts.rowid = messages.id").
				Where("ticket_note_fts MATCH ?", match).Order("ticket_note_fts.rowid DESC")
		}
	}
	queries := []*gorm.DB{bySubject, byMessage}
	if byNote != nil {
		queries = append(queries, byNote)
	}
	seen := map[int64]bool{}
	var out []int64
	for _, q := range queries {
		var ids []int64
		if err := q.Select("tickets.id").Limit(ticketSearchCandidates).Scan(&ids).Error; err != nil {
			return nil, mapErr("search candidates", err)
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// scopeFirstMax is the largest scope (in tickets) SQLite's message search may walk whole.
const scopeFirstMax = 2000

// sqliteScopeFirst chooses how SQLite finds a scope's messages matching an FTS5 expression.
// Driven by the full-text index, it looks up the message and the ticket of every match, in the
// scope or not, until it has ticketSearchCandidates (about 6 µs a match here): a word common
// across a large help desk costs a customer with a handful of tickets a walk through all of
// it. Driven by the scope, it reads the scope's public messages by index and checks each
// against the matches (about 1 µs a message, some ten messages a ticket). So the scope goes
// first when the word has more than twice as many matches as the scope has tickets. Both
// counts, in one statement, stop at what the choice needs. PostgreSQL makes this choice
// itself, from its statistics.
func (s *TicketStore) sqliteScopeFirst(scope *gorm.DB, match string) (bool, error) {
	var tickets, matches int64
	err := s.db.Gorm.WithContext(scope.Statement.Context).Raw("SELECT "+
		"(SELECT count(*) FROM (?) AS scope), "+
		"(SELECT count(*) FROM (SELECT rowid FROM ticket_message_fts WHERE ticket_message_fts MATCH ? LIMIT ?) AS m)",
		scope.Session(&gorm.Session{}).Select("tickets.id").Limit(scopeFirstMax+1), match, 2*scopeFirstMax+1).
		Row().Scan(&tickets, &matches)
	if err != nil {
		return false, mapErr("search plan", err)
	}
	return tickets <= scopeFirstMax && matches > 2*tickets, nil
}

// CountForPortal counts the tickets a scope may see in a view: the listing's rules, as a
// number (the admin's preview of a contact's portal, SPEC T-3/T-4).
func (s *TicketStore) CountForPortal(ctx context.Context, scope PortalScope, view string) (int64, error) {
	q, err := s.scoped(ctx, scope, view)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.Count(&n).Error
	return n, mapErr("portal count", err)
}
