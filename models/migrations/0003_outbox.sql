-- 0003_outbox: outgoing e-mail. Frozen once released.
-- Every e-mail is first written here, in the same transaction as the work that caused it
-- (REL-01). With SMTP configured a background mailer claims 'pending' rows and sends them;
-- without SMTP rows are written as 'outbox' and stay for admins to read at /admin/outbox.

-- status: 'pending' (to be sent), 'sent', 'failed' (gave up after retries), 'outbox' (no SMTP
-- configured: kept to be read). claimed_until is a lease: a mailer owns a row until then, so two
-- instances never send one e-mail twice; a crashed mailer's lease simply runs out. last_error
-- holds a redacted, shortened reason, never credentials.
CREATE TABLE outbox_emails (
    id              {{pk}},
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'outbox')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at {{ts}},
    claimed_until   {{ts}},
    sent_at         {{ts}},
    created_at      {{ts}} NOT NULL
);
-- The mailer's claim: due pending rows in order.
CREATE INDEX outbox_emails_due ON outbox_emails (status, next_attempt_at);
-- The admin listing: newest first, keyset-paginated on (created_at, id).
CREATE INDEX outbox_emails_created ON outbox_emails (created_at DESC, id DESC);
