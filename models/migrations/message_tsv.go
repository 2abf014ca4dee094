package migrations

// 0008_message_tsv (PostgreSQL only): the words of each message are stored beside it. The
// index of 0006 was on an expression, so every candidate row of a search had to compute
// to_tsvector again to be rechecked — about 10 µs a message, most of a portal search's time
// when a word is common. A stored generated column is computed once, when the message is
// written. SQLite's FTS5 index already stores its words: nothing to do there. Frozen.
var messageTSVStatements = map[string][]string{
	"postgres": {
		`ALTER TABLE messages ADD COLUMN body_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', left(body, 100000))) STORED`,
		`CREATE INDEX messages_body_tsv ON messages USING GIN (body_tsv) WHERE NOT is_internal`,
		`DROP INDEX messages_body_search`,
		`ALTER TABLE tickets ADD COLUMN subject_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', left(subject, 1000))) STORED`,
		`CREATE INDEX tickets_subject_tsv ON tickets USING GIN (subject_tsv)`,
		`DROP INDEX tickets_subject_search`,
	},
	"sqlite": {},
}
