-- LINE's other two logs, for SQLite: one row per authorization request and per callback. A
-- state or code is kept only as a keyed hash (raw values only with the layer's explicit opt-in).
CREATE TABLE IF NOT EXISTS line_login_authorize_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    url         TEXT NOT NULL,
    state_hash  TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    raw_url     TEXT
);

CREATE INDEX IF NOT EXISTS line_login_authorize_log_at ON line_login_authorize_log (at);
CREATE INDEX IF NOT EXISTS line_login_authorize_log_state ON line_login_authorize_log (state_hash);

CREATE TABLE IF NOT EXISTS line_login_callback_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    method      TEXT NOT NULL,
    parameters  TEXT NOT NULL,
    state_hash  TEXT,
    code_hash   TEXT,
    error       TEXT,
    raw_query   TEXT
);

CREATE INDEX IF NOT EXISTS line_login_callback_log_at ON line_login_callback_log (at);
CREATE INDEX IF NOT EXISTS line_login_callback_log_state ON line_login_callback_log (state_hash);
