-- A million accounts in one domain: the Users page reads its counts from a row kept by
-- triggers instead of counting the domain's accounts on every page, and its search goes
-- through a trigram index instead of a LIKE scan of every row.

-- Live and deleted (not yet purged) accounts of each domain, kept by the triggers below.
CREATE TABLE domain_account_counts (
    domain_id INTEGER PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    live      INTEGER NOT NULL DEFAULT 0 CHECK (live >= 0),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted >= 0)
) STRICT;

INSERT INTO domain_account_counts (domain_id, live, deleted)
SELECT d.id,
       (SELECT COUNT(*) FROM mailboxes m WHERE m.domain_id = d.id AND m.deleted_at IS NULL),
       (SELECT COUNT(*) FROM mailboxes m WHERE m.domain_id = d.id AND m.deleted_at IS NOT NULL)
FROM domains d;

CREATE TRIGGER domain_account_counts_domain AFTER INSERT ON domains
BEGIN
    INSERT OR IGNORE INTO domain_account_counts (domain_id) VALUES (new.id);
END;

CREATE TRIGGER domain_account_counts_insert AFTER INSERT ON mailboxes
BEGIN
    INSERT OR IGNORE INTO domain_account_counts (domain_id) VALUES (new.domain_id);
    UPDATE domain_account_counts
       SET live = live + (new.deleted_at IS NULL), deleted = deleted + (new.deleted_at IS NOT NULL)
     WHERE domain_id = new.domain_id;
END;

CREATE TRIGGER domain_account_counts_delete AFTER DELETE ON mailboxes
BEGIN
    UPDATE domain_account_counts
       SET live = live - (old.deleted_at IS NULL), deleted = deleted - (old.deleted_at IS NOT NULL)
     WHERE domain_id = old.domain_id;
END;

-- Soft delete, restore and a move between domains: take the old row out, put the new one in.
CREATE TRIGGER domain_account_counts_update AFTER UPDATE OF deleted_at, domain_id ON mailboxes
WHEN (old.deleted_at IS NULL) IS NOT (new.deleted_at IS NULL) OR old.domain_id IS NOT new.domain_id
BEGIN
    UPDATE domain_account_counts
       SET live = live - (old.deleted_at IS NULL), deleted = deleted - (old.deleted_at IS NOT NULL)
     WHERE domain_id = old.domain_id;
    INSERT OR IGNORE INTO domain_account_counts (domain_id) VALUES (new.domain_id);
    UPDATE domain_account_counts
       SET live = live + (new.deleted_at IS NULL), deleted = deleted + (new.deleted_at IS NOT NULL)
     WHERE domain_id = new.domain_id;
END;

-- Search by substring of the address or names, case-insensitive: trigrams answer terms of
-- three characters or more; shorter terms keep the LIKE rule. External content: the text
-- stays in mailboxes, the index holds only trigrams.
CREATE VIRTUAL TABLE mailboxes_search USING fts5 (
    email, first_name, last_name,
    content = 'mailboxes', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 0'
);

INSERT INTO mailboxes_search (rowid, email, first_name, last_name)
SELECT id, email, first_name, last_name FROM mailboxes;

CREATE TRIGGER mailboxes_search_insert AFTER INSERT ON mailboxes
BEGIN
    INSERT INTO mailboxes_search (rowid, email, first_name, last_name)
    VALUES (new.id, new.email, new.first_name, new.last_name);
END;

CREATE TRIGGER mailboxes_search_delete AFTER DELETE ON mailboxes
BEGIN
    INSERT INTO mailboxes_search (mailboxes_search, rowid, email, first_name, last_name)
    VALUES ('delete', old.id, old.email, old.first_name, old.last_name);
END;

CREATE TRIGGER mailboxes_search_update AFTER UPDATE OF email, first_name, last_name ON mailboxes
BEGIN
    INSERT INTO mailboxes_search (mailboxes_search, rowid, email, first_name, last_name)
    VALUES ('delete', old.id, old.email, old.first_name, old.last_name);
    INSERT INTO mailboxes_search (rowid, email, first_name, last_name)
    VALUES (new.id, new.email, new.first_name, new.last_name);
END;
