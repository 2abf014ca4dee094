package migrations

// 0009_note_search: the agents' search (SPEC D-2) finds tickets by the words of their internal
// notes too. The notes get their own index, apart from the portal's (0006), which still holds
// customer-visible messages only: no portal query can reach a note through an index it reads.
//
// PostgreSQL: a GIN index over the stored words of 0008, partial to the notes (WHERE
// is_internal; desk queries repeat the predicate literally).
//
// SQLite: ticket_note_fts, contentless like ticket_message_fts and kept in step by triggers
// the same way, holding the messages that are not exactly public ("is_internal <> 0", the
// complement of the portal index's rule), filled here with the notes already written. Frozen.
var noteSearchStatements = map[string][]string{
	"postgres": {
		`CREATE INDEX messages_note_tsv ON messages USING GIN (body_tsv) WHERE is_internal`,
	},
	"sqlite": {
		`CREATE VIRTUAL TABLE ticket_note_fts USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2')`,
		`CREATE TRIGGER ticket_note_fts_ai AFTER INSERT ON messages WHEN new.is_internal <> 0 BEGIN
    INSERT INTO ticket_note_fts (rowid, body) VALUES (new.id, substr(new.body, 1, 100000));
END`,
		`CREATE TRIGGER ticket_note_fts_ad AFTER DELETE ON messages BEGIN
    DELETE FROM ticket_note_fts WHERE rowid = old.id;
END`,
		`CREATE TRIGGER ticket_note_fts_au AFTER UPDATE OF body, is_internal ON messages BEGIN
    DELETE FROM ticket_note_fts WHERE rowid = old.id;
    INSERT INTO ticket_note_fts (rowid, body) SELECT new.id, substr(new.body, 1, 100000) WHERE new.is_internal <> 0;
END`,
		`INSERT INTO ticket_note_fts (rowid, body) SELECT id, substr(body, 1, 100000) FROM messages WHERE is_internal <> 0`,
	},
}
