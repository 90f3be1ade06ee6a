-- Saved LINE API logs, for PostgreSQL: one row per call to LINE (never a token, code, secret or
-- personal data).
CREATE TABLE IF NOT EXISTS line_login_api_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    endpoint    TEXT NOT NULL,
    method      TEXT NOT NULL,
    status      INTEGER,
    request_id  TEXT,
    latency_ms  BIGINT NOT NULL,
    outcome     TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS line_login_api_log_at ON line_login_api_log (at);
