-- 0002_portal_access: single-use tokens for customer e-mail proof, invitations and password
-- resets, and uploaded branding files. Frozen once released.

-- A token row holds only the SHA-256 of the token that travels in the link. email is the
-- address the link was sent to (a registration may not have a contact yet); data carries what
-- the link completes (a pending registration's name, password hash and consent).
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'invite', 'reset')),
    email      TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    data       {{json}} NOT NULL DEFAULT '{}',
    created_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL,
    used_at    {{ts}}
);
CREATE INDEX auth_tokens_email ON auth_tokens (email, purpose);
CREATE INDEX auth_tokens_expires ON auth_tokens (expires_at);

-- Logos and favicons uploaded by admins, served at /branding/<public_id>.
CREATE TABLE branding_files (
    id           {{pk}},
    public_id    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('logo', 'favicon')),
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    storage_key  TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   {{ts}} NOT NULL
);
CREATE UNIQUE INDEX branding_files_public_id ON branding_files (public_id);
