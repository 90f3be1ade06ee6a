-- Member links (one LINE user to one member and back) and their audit trail, for PostgreSQL.
-- The token columns hold the linked LINE user's latest tokens: secrets at rest.
CREATE TABLE IF NOT EXISTS line_login_member_links (
    member_id                TEXT PRIMARY KEY,
    line_user_id             TEXT NOT NULL UNIQUE,
    linked_at                TIMESTAMPTZ NOT NULL,
    access_token             TEXT,
    access_token_expires_at  TIMESTAMPTZ,
    refresh_token            TEXT,
    refresh_token_expires_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS line_login_link_audit (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('link', 'unlink')),
    member_id    TEXT NOT NULL,
    line_user_id TEXT NOT NULL,
    cause        TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS line_login_link_audit_member ON line_login_link_audit (member_id);
CREATE INDEX IF NOT EXISTS line_login_link_audit_line_user ON line_login_link_audit (line_user_id);
