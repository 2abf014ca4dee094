-- 0001_core: the core data model. Frozen: change the schema in a new migration, never here.
-- Macros ({{pk}}, {{ts}}, {{json}}, {{blob}}) are expanded per dialect by migrations.go.
-- E-mail columns hold lower-cased addresses so that a plain unique index is case-insensitive.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at {{ts}} NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket_number', 1000);

CREATE TABLE staff_users (
    id            {{pk}},
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    language      TEXT NOT NULL DEFAULT '',
    last_login_at {{ts}},
    created_at    {{ts}} NOT NULL,
    updated_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX staff_users_email ON staff_users (email);

CREATE TABLE teams (
    id         {{pk}},
    name       TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (name);

CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    staff_id BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, staff_id)
);
CREATE INDEX team_members_staff ON team_members (staff_id);

CREATE TABLE companies (
    id         {{pk}},
    name       TEXT NOT NULL,
    domain     TEXT NOT NULL DEFAULT '',
    owner_id   BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    properties {{json}} NOT NULL DEFAULT '{}',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX companies_name ON companies (name);
CREATE INDEX companies_domain ON companies (domain);

CREATE TABLE contacts (
    id                {{pk}},
    email             TEXT NOT NULL,
    name              TEXT NOT NULL,
    password_hash     TEXT NOT NULL DEFAULT '',
    email_verified_at {{ts}},
    company_id        BIGINT REFERENCES companies (id) ON DELETE SET NULL,
    owner_id          BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    phone             TEXT NOT NULL DEFAULT '',
    language          TEXT NOT NULL DEFAULT '',
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    properties        {{json}} NOT NULL DEFAULT '{}',
    last_login_at     {{ts}},
    created_at        {{ts}} NOT NULL,
    updated_at        {{ts}} NOT NULL
);
CREATE UNIQUE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_company ON contacts (company_id);
CREATE INDEX contacts_owner ON contacts (owner_id);

CREATE TABLE contact_lists (
    id         {{pk}},
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'static' CHECK (kind IN ('static', 'active')),
    rule       {{json}} NOT NULL DEFAULT '{}',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX contact_lists_name ON contact_lists (name);

CREATE TABLE contact_list_members (
    list_id    BIGINT NOT NULL REFERENCES contact_lists (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    added_at   {{ts}} NOT NULL,
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX contact_list_members_contact ON contact_list_members (contact_id);

CREATE TABLE pipelines (
    id         {{pk}},
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX pipelines_name ON pipelines (name);
-- At most one default pipeline.
CREATE UNIQUE INDEX pipelines_one_default ON pipelines (is_default) WHERE is_default;

CREATE TABLE pipeline_stages (
    id          {{pk}},
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    is_closed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  {{ts}} NOT NULL,
    updated_at  {{ts}} NOT NULL
);
CREATE INDEX pipeline_stages_pipeline ON pipeline_stages (pipeline_id, position);

CREATE TABLE inboxes (
    id         {{pk}},
    name       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    settings   {{json}} NOT NULL DEFAULT '{}',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX inboxes_name ON inboxes (name);

CREATE TABLE tickets (
    id               {{pk}},
    number           BIGINT NOT NULL,
    subject          TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    pipeline_id      BIGINT NOT NULL REFERENCES pipelines (id),
    stage_id         BIGINT NOT NULL REFERENCES pipeline_stages (id),
    is_closed        BOOLEAN NOT NULL DEFAULT FALSE,
    priority         TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    category         TEXT NOT NULL DEFAULT '',
    source_channel   TEXT NOT NULL,
    owner_id         BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    team_id          BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    contact_id       BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    company_id       BIGINT REFERENCES companies (id) ON DELETE SET NULL,
    properties       {{json}} NOT NULL DEFAULT '{}',
    created_at       {{ts}} NOT NULL,
    updated_at       {{ts}} NOT NULL,
    last_activity_at {{ts}} NOT NULL,
    closed_at        {{ts}}
);
CREATE UNIQUE INDEX tickets_number ON tickets (number);
-- Listing pages read these in order and stop at the page size: (scope, last activity, id).
CREATE INDEX tickets_contact_activity ON tickets (contact_id, last_activity_at DESC, id DESC);
CREATE INDEX tickets_company_activity ON tickets (company_id, last_activity_at DESC, id DESC);
CREATE INDEX tickets_queue_activity ON tickets (is_closed, last_activity_at DESC, id DESC);
CREATE INDEX tickets_owner_activity ON tickets (owner_id, is_closed, last_activity_at DESC);
CREATE INDEX tickets_team_activity ON tickets (team_id, is_closed, last_activity_at DESC);
CREATE INDEX tickets_stage ON tickets (stage_id);

CREATE TABLE threads (
    id              {{pk}},
    ticket_id       BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    inbox_id        BIGINT REFERENCES inboxes (id) ON DELETE SET NULL,
    external_ref    TEXT NOT NULL DEFAULT '',
    created_at      {{ts}} NOT NULL,
    last_message_at {{ts}} NOT NULL
);
CREATE INDEX threads_ticket ON threads (ticket_id, created_at DESC, id DESC);

CREATE TABLE messages (
    id                {{pk}},
    thread_id         BIGINT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    ticket_id         BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_kind       TEXT NOT NULL CHECK (author_kind IN ('contact', 'staff', 'system')),
    author_contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    author_staff_id   BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    body              TEXT NOT NULL,
    is_internal       BOOLEAN NOT NULL DEFAULT FALSE,
    external_id       TEXT NOT NULL DEFAULT '',
    created_at        {{ts}} NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_id, created_at, id);
CREATE INDEX messages_ticket ON messages (ticket_id, created_at, id);

CREATE TABLE attachments (
    id           {{pk}},
    public_id    TEXT NOT NULL,
    ticket_id    BIGINT REFERENCES tickets (id) ON DELETE CASCADE,
    message_id   BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    storage_key  TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   {{ts}} NOT NULL
);
CREATE UNIQUE INDEX attachments_public_id ON attachments (public_id);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_ticket ON attachments (ticket_id);

CREATE TABLE consent_texts (
    id             {{pk}},
    version        INTEGER NOT NULL,
    notice         TEXT NOT NULL,
    checkbox_label TEXT NOT NULL,
    created_by_id  BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    created_at     {{ts}} NOT NULL
);
CREATE UNIQUE INDEX consent_texts_version ON consent_texts (version);

CREATE TABLE consent_records (
    id              {{pk}},
    contact_id      BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    consent_text_id BIGINT REFERENCES consent_texts (id) ON DELETE SET NULL,
    version         INTEGER NOT NULL,
    notice          TEXT NOT NULL,
    checkbox_label  TEXT NOT NULL,
    ip              TEXT NOT NULL,
    user_agent      TEXT NOT NULL DEFAULT '',
    created_at      {{ts}} NOT NULL
);
CREATE INDEX consent_records_contact ON consent_records (contact_id, created_at);

CREATE TABLE kb_categories (
    id          {{pk}},
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  {{ts}} NOT NULL,
    updated_at  {{ts}} NOT NULL
);
CREATE UNIQUE INDEX kb_categories_slug ON kb_categories (slug);

CREATE TABLE kb_articles (
    id           {{pk}},
    category_id  BIGINT NOT NULL REFERENCES kb_categories (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    author_id    BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    helpful_yes  INTEGER NOT NULL DEFAULT 0,
    helpful_no   INTEGER NOT NULL DEFAULT 0,
    published_at {{ts}},
    created_at   {{ts}} NOT NULL,
    updated_at   {{ts}} NOT NULL
);
CREATE UNIQUE INDEX kb_articles_slug ON kb_articles (slug);
CREATE INDEX kb_articles_category ON kb_articles (category_id, status, published_at DESC);

-- Server-side sessions: the cookie carries a random token, the row only its SHA-256, so a
-- database dump holds no usable session. Rows exist for signed-in visitors only.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_kind    TEXT NOT NULL CHECK (user_kind IN ('staff', 'contact')),
    user_id      BIGINT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{ts}} NOT NULL,
    last_seen_at {{ts}} NOT NULL,
    expires_at   {{ts}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_kind, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Fixed-window counters shared by every instance (login throttling and similar limits).
CREATE TABLE rate_limits (
    key      TEXT PRIMARY KEY,
    hits     INTEGER NOT NULL,
    reset_at {{ts}} NOT NULL
);
CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
