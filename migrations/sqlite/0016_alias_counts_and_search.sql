-- A hundred thousand aliases in one domain: the Aliases page reads its count from a row kept
-- by triggers instead of counting the domain's aliases on every page, and its search goes
-- through a trigram index instead of a LIKE scan of every alias.

-- Live aliases of each domain, kept by the triggers below.
CREATE TABLE domain_alias_counts (
    domain_id INTEGER PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    live      INTEGER NOT NULL DEFAULT 0 CHECK (live >= 0)
) STRICT;

INSERT INTO domain_alias_counts (domain_id, live)
SELECT d.id, (SELECT COUNT(*) FROM aliases a WHERE a.domain_id = d.id AND a.deleted_at IS NULL)
FROM domains d;

CREATE TRIGGER domain_alias_counts_domain AFTER INSERT ON domains
BEGIN
    INSERT OR IGNORE INTO domain_alias_counts (domain_id) VALUES (new.id);
END;

CREATE TRIGGER domain_alias_counts_insert AFTER INSERT ON aliases
BEGIN
    INSERT OR IGNORE INTO domain_alias_counts (domain_id) VALUES (new.domain_id);
    UPDATE domain_alias_counts SET live = live + (new.deleted_at IS NULL)
     WHERE domain_id = new.domain_id;
END;

CREATE TRIGGER domain_alias_counts_delete AFTER DELETE ON aliases
BEGIN
    UPDATE domain_alias_counts SET live = live - (old.deleted_at IS NULL)
     WHERE domain_id = old.domain_id;
END;

-- Delete, restore and a move between domains: take the old row out, put the new one in.
CREATE TRIGGER domain_alias_counts_update AFTER UPDATE OF deleted_at, domain_id ON aliases
WHEN (old.deleted_at IS NULL) IS NOT (new.deleted_at IS NULL) OR old.domain_id IS NOT new.domain_id
BEGIN
    UPDATE domain_alias_counts SET live = live - (old.deleted_at IS NULL)
     WHERE domain_id = old.domain_id;
    INSERT OR IGNORE INTO domain_alias_counts (domain_id) VALUES (new.domain_id);
    UPDATE domain_alias_counts SET live = live + (new.deleted_at IS NULL)
     WHERE domain_id = new.domain_id;
END;

-- Search by substring of the address or the targets: trigrams answer terms of three
-- characters or more; shorter terms keep the LIKE rule. External content: the text stays in
-- aliases, the index holds only trigrams.
CREATE VIRTUAL TABLE aliases_search USING fts5 (
    address, targets,
    content = 'aliases', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 0'
);

INSERT INTO aliases_search (rowid, address, targets) SELECT id, address, targets FROM aliases;

CREATE TRIGGER aliases_search_insert AFTER INSERT ON aliases
BEGIN
    INSERT INTO aliases_search (rowid, address, targets) VALUES (new.id, new.address, new.targets);
END;

CREATE TRIGGER aliases_search_delete AFTER DELETE ON aliases
BEGIN
    INSERT INTO aliases_search (aliases_search, rowid, address, targets)
    VALUES ('delete', old.id, old.address, old.targets);
END;

CREATE TRIGGER aliases_search_update AFTER UPDATE OF address, targets ON aliases
BEGIN
    INSERT INTO aliases_search (aliases_search, rowid, address, targets)
    VALUES ('delete', old.id, old.address, old.targets);
    INSERT INTO aliases_search (rowid, address, targets) VALUES (new.id, new.address, new.targets);
END;
