package migrations

// ticketSearchStatements build the portal's ticket search index (SPEC T-1, STACK "search"):
// ticket subjects and the bodies of customer-visible messages. Internal notes are never
// indexed, so no query over these indexes can find a ticket by a word only a note holds.
//
// PostgreSQL: GIN expression indexes over to_tsvector('simple', …), the one on messages partial
// (WHERE NOT is_internal); queries repeat the indexed expressions exactly. A tsvector is at most
// 1 MB, so only the first 100,000 characters of a message (1,000 of a subject) are indexed:
// an e-mail with a huge body must still be storable, and it stays findable by its beginning.
//
// SQLite: two FTS5 tables kept in step by triggers. ticket_subject_fts has external content
// (the subjects stay in tickets; every subject is customer-visible, so 'rebuild' is safe).
// ticket_message_fts is contentless with contentless_delete: its rowid is the message id and
// the triggers add a message only while it is not internal; a message turned into a note (or
// back) is removed (or added) by the update trigger. Contentless, because an external-content
// table over messages would index every note on a 'rebuild'; a contentless one cannot be
// rebuilt from messages at all and is filled below with public messages only.
//
// The 'simple' configuration and the unicode61 tokenizer do no stemming, as for the knowledge
// base (0005). Trigger bodies hold semicolons, so this migration is Go rather than an SQL file.
var ticketSearchStatements = map[string][]string{
	"postgres": {
		`CREATE INDEX tickets_subject_search ON tickets USING GIN (to_tsvector('simple', left(subject, 1000)))`,
		`CREATE INDEX messages_body_search ON messages USING GIN (to_tsvector('simple', left(body, 100000)))
    WHERE NOT is_internal`,
	},
	"sqlite": {
		`CREATE VIRTUAL TABLE ticket_subject_fts USING fts5(subject, content='tickets', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2')`,
		`CREATE TRIGGER ticket_subject_fts_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_subject_fts (rowid, subject) VALUES (new.id, new.subject);
END`,
		`CREATE TRIGGER ticket_subject_fts_ad AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_subject_fts (ticket_subject_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
END`,
		// Only a new subject re-indexes: activity times and stage changes do not.
		`CREATE TRIGGER ticket_subject_fts_au AFTER UPDATE OF subject ON tickets BEGIN
    INSERT INTO ticket_subject_fts (ticket_subject_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
    INSERT INTO ticket_subject_fts (rowid, subject) VALUES (new.id, new.subject);
END`,
		`INSERT INTO ticket_subject_fts (ticket_subject_fts) VALUES ('rebuild')`,

		`CREATE VIRTUAL TABLE ticket_message_fts USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2')`,
		// "is_internal = 0" rather than "NOT is_internal": a value that is not exactly false
		// (however it came to be stored) counts as internal and stays out of the index.
		`CREATE TRIGGER ticket_message_fts_ai AFTER INSERT ON messages WHEN new.is_internal = 0 BEGIN
    INSERT INTO ticket_message_fts (rowid, body) VALUES (new.id, substr(new.body, 1, 100000));
END`,
		`CREATE TRIGGER ticket_message_fts_ad AFTER DELETE ON messages BEGIN
    DELETE FROM ticket_message_fts WHERE rowid = old.id;
END`,
		`CREATE TRIGGER ticket_message_fts_au AFTER UPDATE OF body, is_internal ON messages BEGIN
    DELETE FROM ticket_message_fts WHERE rowid = old.id;
    INSERT INTO ticket_message_fts (rowid, body) SELECT new.id, substr(new.body, 1, 100000) WHERE new.is_internal = 0;
END`,
		`INSERT INTO ticket_message_fts (rowid, body) SELECT id, substr(body, 1, 100000) FROM messages WHERE is_internal = 0`,
	},
}
