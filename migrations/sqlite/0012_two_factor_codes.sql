-- Codes typed for two-factor log-on and for My password's checks, counted apart from
-- passwords, so that a right password never gives a guesser more codes to try. A row is
-- reserved before a code is checked and removed when the code was right: what stays are the
-- wrong codes. `attempt_of` is the SHA-256 of the token of the pending log-on or session the
-- code was typed in, which has its own cap; the administrator has a cap per 24 hours.
-- Times are unix seconds.
CREATE TABLE code_attempts (
    id         INTEGER PRIMARY KEY,
    admin_id   INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    attempt_of BLOB    NOT NULL
) STRICT;

CREATE INDEX code_attempts_admin ON code_attempts (admin_id, at);
CREATE INDEX code_attempts_of ON code_attempts (attempt_of);

-- Recovery codes given from now on hold 80 random bits and are kept as an HMAC-SHA-256 under
-- a key derived from the two-factor key (1); those given before (0: 40 bits, plain SHA-256)
-- still work until they are used or replaced.
ALTER TABLE recovery_codes ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0 CHECK (keyed IN (0, 1));
