-- Domains, their postmasters, the mail accounts and the audit log.
-- Times are UTC text in ISO 8601 ("2026-11-25T17:04:05Z"): sortable and readable by Dovecot's SQL.

CREATE TABLE domains (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE CHECK (name = lower(name)),
    description     TEXT    NOT NULL DEFAULT '',
    max_mailboxes   INTEGER NOT NULL DEFAULT 0 CHECK (max_mailboxes >= 0),    -- 0: no limit
    default_quota_mb INTEGER NOT NULL DEFAULT 0 CHECK (default_quota_mb >= 0), -- 0: no quota
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE TABLE admins (
    id                  INTEGER PRIMARY KEY,
    email               TEXT    NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash       TEXT    NOT NULL,
    superadmin          INTEGER NOT NULL DEFAULT 0 CHECK (superadmin IN (0, 1)),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    password_changed_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

-- Which domains a (non-super) postmaster manages.
CREATE TABLE admin_domains (
    admin_id  INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    domain_id INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    PRIMARY KEY (admin_id, domain_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX admin_domains_domain ON admin_domains (domain_id);

CREATE TABLE mailboxes (
    id                  INTEGER PRIMARY KEY,
    domain_id           INTEGER NOT NULL REFERENCES domains (id),
    local_part          TEXT    NOT NULL CHECK (local_part = lower(local_part)),
    email               TEXT    NOT NULL CHECK (email = lower(email)),
    password_hash       TEXT    NOT NULL,
    first_name          TEXT    NOT NULL DEFAULT '',
    last_name           TEXT    NOT NULL DEFAULT '',
    -- Relative to the mail root; the creation stamp in it keeps a re-created account away
    -- from a deleted one's mail.
    maildir             TEXT    NOT NULL UNIQUE,
    quota_mb            INTEGER NOT NULL DEFAULT 0 CHECK (quota_mb >= 0),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    message_count       INTEGER,            -- last known, NULL until measured
    mailbox_bytes       INTEGER,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    password_changed_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    deleted_at          TEXT                -- set: in "Deleted accounts" until purged
) STRICT;

-- One live account per address; deleted rows may share it with a re-created account.
CREATE UNIQUE INDEX mailboxes_live_email ON mailboxes (email) WHERE deleted_at IS NULL;
-- The Users list: a domain's live accounts in address order.
CREATE INDEX mailboxes_domain_live ON mailboxes (domain_id, local_part) WHERE deleted_at IS NULL;
-- Deleted accounts of a domain, and the purge by age.
CREATE INDEX mailboxes_deleted ON mailboxes (deleted_at, domain_id) WHERE deleted_at IS NOT NULL;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    actor       TEXT    NOT NULL,           -- an admin's address, or "cli"
    client_addr TEXT    NOT NULL DEFAULT '',
    domain      TEXT,                       -- by name, so the history outlives the domain
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    details     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_domain ON audit_log (domain, id);
CREATE INDEX audit_log_domain_action ON audit_log (domain, action, id);
