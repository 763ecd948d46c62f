-- Two-factor log-on. The TOTP secret is encrypted with a key kept outside the database
-- (nonce followed by ciphertext), so a copy of the database alone gives no codes away.
-- Times are unix seconds.
CREATE TABLE admin_two_factor (
    admin_id   INTEGER PRIMARY KEY REFERENCES admins (id) ON DELETE CASCADE,
    secret     BLOB    NOT NULL,
    -- 0 while enrolment waits for its confirming code.
    confirmed  INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    -- The last accepted 30-second step: a code is never accepted twice.
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;

-- Single-use recovery codes, kept as SHA-256.
CREATE TABLE recovery_codes (
    admin_id  INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    PRIMARY KEY (admin_id, code_hash)
) STRICT, WITHOUT ROWID;

-- A log-on whose password was right and whose code is still due. Only the SHA-256 of the
-- token is kept; it grants nothing by itself and expires in minutes.
CREATE TABLE pending_log_ons (
    token_hash  BLOB    PRIMARY KEY,
    admin_id    INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL,
    client_addr TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
