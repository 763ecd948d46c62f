-- Aliases, forwarding, the catch-all and auto-replies: what Postfix's virtual_alias_maps and
-- Dovecot's Sieve read at each message, so a change counts at the next one.

-- An address of a domain that delivers to other addresses: the domain's accounts, other
-- aliases, or outside addresses. Deleted like accounts: kept for undo, purged after 30 days.
CREATE TABLE aliases (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domains (id),
    local_part  TEXT    NOT NULL CHECK (local_part = lower(local_part)),
    address     TEXT    NOT NULL CHECK (address = lower(address)),
    -- Lowercase addresses joined by ", ", as Postfix reads a lookup result.
    targets     TEXT    NOT NULL CHECK (targets <> '' AND targets = lower(targets)),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    deleted_at  TEXT
) STRICT;

CREATE UNIQUE INDEX aliases_live_address ON aliases (address) WHERE deleted_at IS NULL;
CREATE INDEX aliases_domain_live ON aliases (domain_id, local_part) WHERE deleted_at IS NULL;
CREATE INDEX aliases_domain_deleted ON aliases (domain_id, deleted_at) WHERE deleted_at IS NOT NULL;

-- An account's forwarding: lowercase addresses joined by ", " ('' for none), and whether the
-- account keeps a copy.
ALTER TABLE mailboxes ADD COLUMN forward_to TEXT NOT NULL DEFAULT ''
    CHECK (forward_to = lower(forward_to));
ALTER TABLE mailboxes ADD COLUMN forward_keep_copy INTEGER NOT NULL DEFAULT 1
    CHECK (forward_keep_copy IN (0, 1));

-- Where mail to an address of the domain that is neither an account nor an alias goes; ''
-- (the default) refuses it.
ALTER TABLE domains ADD COLUMN catch_all TEXT NOT NULL DEFAULT ''
    CHECK (catch_all = lower(catch_all));

-- An account's auto-reply as the postmaster set it, and the Sieve script made from it, which
-- Dovecot reads through the SQL dict. `version` changes with every save: Dovecot keeps a
-- compiled script until the id it is given changes.
CREATE TABLE autoreplies (
    mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes (id) ON DELETE CASCADE,
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    starts_on  TEXT,                -- YYYY-MM-DD, first day it replies; NULL: from now
    ends_on    TEXT,                -- YYYY-MM-DD, last day it replies; NULL: until turned off
    script     TEXT    NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
) STRICT;

-- The scripts as Pigeonhole's dict location looks them up (priv/sieve/name/NAME gives an id,
-- priv/sieve/data/ID the script): only live, active accounts' enabled auto-replies.
CREATE VIEW sieve_scripts AS
    SELECT m.email AS email, 'autoreply' AS name, a.mailbox_id || '.' || a.version AS id,
           a.script AS script
    FROM autoreplies a JOIN mailboxes m ON m.id = a.mailbox_id
    WHERE a.enabled = 1 AND m.deleted_at IS NULL;
