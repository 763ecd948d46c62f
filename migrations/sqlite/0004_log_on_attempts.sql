-- Log-on attempts replace the record of failures: a row is reserved before a password is
-- checked, so concurrent attempts count against each other, and removed when it was right.
-- `address` is the administrator's address, or a keyed hash of text that names none, so that
-- a password typed into the address field is never stored. `client` is the client's IPv4
-- address or IPv6 /64. Times are unix seconds.
DROP TABLE log_on_failures;

CREATE TABLE log_on_attempts (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    address TEXT    NOT NULL,
    client  TEXT    NOT NULL,
    -- The client had no attempt of its own at this address in the window.
    fresh   INTEGER NOT NULL CHECK (fresh IN (0, 1)),
    -- The address had used up its free attempts when this one was made.
    delayed INTEGER NOT NULL CHECK (delayed IN (0, 1))
) STRICT;

CREATE INDEX log_on_attempts_address ON log_on_attempts (address, at);
CREATE INDEX log_on_attempts_client ON log_on_attempts (client, at);

-- Attempts refused while throttled are counted here, not each written to the audit log: the
-- first refusal of an address from a client is audited, the rest summed when the window ends.
CREATE TABLE log_on_refusals (
    address TEXT    NOT NULL,
    client  TEXT    NOT NULL,
    since   INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    domain  TEXT,
    target  TEXT    NOT NULL,
    PRIMARY KEY (address, client)
) STRICT, WITHOUT ROWID;

-- Retention sweeps old audit rows by time.
CREATE INDEX audit_log_at ON audit_log (at);
-- Sweeping expired sessions.
CREATE INDEX sessions_last_seen ON sessions (last_seen);
