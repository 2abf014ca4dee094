package migrations

// kbSearchStatements build the knowledge-base search index (SPEC K-1, STACK "search"). On
// PostgreSQL a stored generated tsvector column with the title weighted A and the body B, under
// a GIN index. On SQLite an FTS5 table with external content (the rows stay in kb_articles),
// kept in step by triggers, then filled from the existing rows. The 'simple' configuration and
// unicode61 tokenizer do no stemming: both engines then find the same words in any language.
// SQLite trigger bodies hold semicolons, so this migration is Go rather than an SQL file.
var kbSearchStatements = map[string][]string{
	"postgres": {
		`ALTER TABLE kb_articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(body, '')), 'B')) STORED`,
		`CREATE INDEX kb_articles_search ON kb_articles USING GIN (search)`,
	},
	"sqlite": {
		`CREATE VIRTUAL TABLE kb_articles_fts USING fts5(title, body, content='kb_articles',
    content_rowid='id', tokenize='unicode61 remove_diacritics 2')`,
		`CREATE TRIGGER kb_articles_fts_ai AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END`,
		`CREATE TRIGGER kb_articles_fts_ad AFTER DELETE ON kb_articles BEGIN
    INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END`,
		// Only a change of the indexed text re-indexes: feedback counters do not.
		`CREATE TRIGGER kb_articles_fts_au AFTER UPDATE OF title, body ON kb_articles BEGIN
    INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO kb_articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END`,
		`INSERT INTO kb_articles_fts (kb_articles_fts) VALUES ('rebuild')`,
	},
}
