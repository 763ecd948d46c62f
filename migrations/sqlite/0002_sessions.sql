-- Log-on sessions and the record of failed log-ons that throttling counts.
-- Times here are unix seconds: they are only compared, never shown.

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a copy of the database does not give sessions away.
    token_hash BLOB    PRIMARY KEY,
    admin_id   INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    client_addr TEXT   NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_admin ON sessions (admin_id);

CREATE TABLE log_on_failures (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    email       TEXT    NOT NULL,
    client_addr TEXT    NOT NULL
) STRICT;

CREATE INDEX log_on_failures_email ON log_on_failures (email, at);
CREATE INDEX log_on_failures_client ON log_on_failures (client_addr, at);
