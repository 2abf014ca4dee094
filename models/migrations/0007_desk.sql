-- 0007_desk: the agents' desk and the admin of the ticket model (SPEC D-1 … D-10, A-5).
-- Frozen once released.

-- The consolidated timeline of a ticket (D-8): one row per thing that happened to it, whatever
-- the channel. kind is one of created, assigned, team, status, property, replied, noted,
-- channel; data holds what changed ({"from": …, "to": …}, a message id, …).
CREATE TABLE ticket_events (
    id               {{pk}},
    ticket_id        BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    actor_staff_id   BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    actor_contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    data             {{json}} NOT NULL DEFAULT '{}',
    created_at       {{ts}} NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, created_at, id);

-- Custom ticket properties (D-10): their definitions. Values live in tickets.properties under
-- key. options holds the choices of a select.
CREATE TABLE ticket_property_defs (
    id         {{pk}},
    key        TEXT NOT NULL,
    label      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('text', 'textarea', 'select', 'number', 'date', 'checkbox')),
    options    {{json}} NOT NULL DEFAULT '[]',
    position   INTEGER NOT NULL DEFAULT 0,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ticket_property_defs_key ON ticket_property_defs (key);

-- A stage may require properties to be set before a ticket enters it (D-6), e.g. "resolution"
-- for Closed: a JSON array of property keys (built-in "category" and "priority", or custom keys).
ALTER TABLE pipeline_stages ADD COLUMN required_properties {{json}} NOT NULL DEFAULT '[]';

-- Rich replies and quoting (D-5): body stays the plain text (search, e-mail text part);
-- body_html is the sanitised rich version when the author wrote one. reply_to_id is the message
-- quoted. channel is where the message was sent when it differs from its thread's (D-7).
ALTER TABLE messages ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN reply_to_id BIGINT REFERENCES messages (id) ON DELETE SET NULL;

-- The desk's unfiltered queue reads tickets in activity order whatever their state.
CREATE INDEX tickets_activity ON tickets (last_activity_at DESC, id DESC);
CREATE INDEX tickets_owner_all_activity ON tickets (owner_id, last_activity_at DESC, id DESC);

-- Saved desk views (D-2). staff_id NULL means shared with every agent; filters is the queue's
-- query string as a JSON object.
CREATE TABLE desk_views (
    id         {{pk}},
    staff_id   BIGINT REFERENCES staff_users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    filters    {{json}} NOT NULL DEFAULT '{}',
    position   INTEGER NOT NULL DEFAULT 0,
    created_at {{ts}} NOT NULL
);
CREATE INDEX desk_views_staff ON desk_views (staff_id, position);

-- New-message notifications for staff (D-9).
CREATE TABLE staff_notifications (
    id         {{pk}},
    staff_id   BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    message_id BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    read_at    {{ts}}
);
CREATE INDEX staff_notifications_staff ON staff_notifications (staff_id, read_at, id);

-- Single-use links for staff: invitations and password resets. Like auth_tokens, only the
-- SHA-256 of the token is stored.
CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    staff_id   BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL,
    used_at    {{ts}}
);
CREATE INDEX staff_tokens_staff ON staff_tokens (staff_id, purpose);
