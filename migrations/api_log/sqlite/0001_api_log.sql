-- Saved LINE API logs, for SQLite: one row per call to LINE (never a token, code, secret or
-- personal data). `at` is UTC text with microseconds, fixed width, so it sorts and compares as
-- time: YYYY-MM-DDTHH:MM:SS.ffffffZ.
CREATE TABLE IF NOT EXISTS line_login_api_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    method      TEXT NOT NULL,
    status      INTEGER,
    request_id  TEXT,
    latency_ms  INTEGER NOT NULL,
    outcome     TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS line_login_api_log_at ON line_login_api_log (at);
