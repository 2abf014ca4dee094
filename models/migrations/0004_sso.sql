-- 0004_sso: single sign-on state (SPEC P-7, SECURITY SSO-01..03). Frozen once released.

-- One-time values seen by SSO: JWT ids (jti), SAML request ids answered and SAML assertion ids.
-- key is "<kind>:<sha256 of the value>"; a second insert of the same key fails, which is how a
-- replay is refused. Rows are kept until the value could no longer be accepted anyway and are
-- then deleted by the periodic cleanup.
CREATE TABLE sso_replays (
    key        TEXT PRIMARY KEY,
    expires_at {{ts}} NOT NULL
);
CREATE INDEX sso_replays_expires ON sso_replays (expires_at);

-- The SAML service provider's own key pair, generated once (RSA 2048, self-signed certificate)
-- and shared by every instance. The private key never leaves the server.
CREATE TABLE sso_sp_keys (
    name            TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_at      {{ts}} NOT NULL
);
