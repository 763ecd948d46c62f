-- Two-factor log-on. The TOTP secret is encrypted with a key kept outside the database
-- (nonce followed by ciphertext), so a copy of the database alone gives no codes away.
-- Times are unix seconds.
CREATE TABLE admin_two_factor (
    admin_id   BIGINT PRIMARY KEY REFERENCES admins (id) ON DELETE CASCADE,
    secret     BYTEA  NOT NULL,
    -- 0 while enrolment waits for its confirming code.
    confirmed  BIGINT NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    -- The last accepted 30-second step: a code is never accepted twice.
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes, kept as SHA-256.
CREATE TABLE recovery_codes (
    admin_id  BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash BYTEA  NOT NULL,
    PRIMARY KEY (admin_id, code_hash)
);

-- A log-on whose password was right and whose code is still due. Only the SHA-256 of the
-- token is kept; it grants nothing by itself and expires in minutes.
CREATE TABLE pending_log_ons (
    token_hash  BYTEA  PRIMARY KEY,
    admin_id    BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    client_addr TEXT   NOT NULL
);
