-- The last time the server's clock was seen, so that a clock that jumps ahead (a lost
-- real-time clock, a bad time server) cannot purge deleted accounts or audit rows early.
-- `held_at` is set when a jump was seen; the purge waits until the operator confirms.
CREATE TABLE clock_mark (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seen INTEGER NOT NULL,
    held_at   INTEGER
) STRICT;
