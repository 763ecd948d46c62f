-- The last time the server's clock was seen, so that a clock that jumps ahead (a lost
-- real-time clock, a bad time server) cannot purge deleted accounts or audit rows early.
-- `held_at` is set when a jump was seen; the purge waits until the operator confirms.
-- One row, always written with id 1: no identity.
CREATE TABLE clock_mark (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    last_seen BIGINT NOT NULL,
    held_at   BIGINT
);
