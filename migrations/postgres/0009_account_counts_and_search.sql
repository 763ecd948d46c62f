-- A million accounts in one domain: the Users page reads its counts from a row kept by
-- triggers instead of counting the domain's accounts on every page, and its search goes
-- through trigram indexes instead of a scan of every row.

-- Live and deleted (not yet purged) accounts of each domain, kept by the triggers below.
CREATE TABLE domain_account_counts (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    live      BIGINT NOT NULL DEFAULT 0 CHECK (live >= 0),
    deleted   BIGINT NOT NULL DEFAULT 0 CHECK (deleted >= 0)
);

INSERT INTO domain_account_counts (domain_id, live, deleted)
SELECT d.id,
       (SELECT COUNT(*) FROM mailboxes m WHERE m.domain_id = d.id AND m.deleted_at IS NULL),
       (SELECT COUNT(*) FROM mailboxes m WHERE m.domain_id = d.id AND m.deleted_at IS NOT NULL)
FROM domains d;

CREATE FUNCTION domain_account_counts_domain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO domain_account_counts (domain_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_account_counts_domain AFTER INSERT ON domains
FOR EACH ROW EXECUTE FUNCTION domain_account_counts_domain();

-- One function for the three mailbox triggers: an insert counts the new row in, a delete
-- counts the old row out, and a soft delete, restore or move between domains does both.
CREATE FUNCTION domain_account_counts_mailbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE domain_account_counts
           SET live = live - (OLD.deleted_at IS NULL)::int,
               deleted = deleted - (OLD.deleted_at IS NOT NULL)::int
         WHERE domain_id = OLD.domain_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO domain_account_counts (domain_id) VALUES (NEW.domain_id)
            ON CONFLICT DO NOTHING;
        UPDATE domain_account_counts
           SET live = live + (NEW.deleted_at IS NULL)::int,
               deleted = deleted + (NEW.deleted_at IS NOT NULL)::int
         WHERE domain_id = NEW.domain_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_account_counts_insert AFTER INSERT ON mailboxes
FOR EACH ROW EXECUTE FUNCTION domain_account_counts_mailbox();

CREATE TRIGGER domain_account_counts_delete AFTER DELETE ON mailboxes
FOR EACH ROW EXECUTE FUNCTION domain_account_counts_mailbox();

CREATE TRIGGER domain_account_counts_update AFTER UPDATE OF deleted_at, domain_id ON mailboxes
FOR EACH ROW
WHEN ((OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL)
      OR OLD.domain_id IS DISTINCT FROM NEW.domain_id)
EXECUTE FUNCTION domain_account_counts_mailbox();

-- Search by substring of the local part or names, case-insensitive (`ILIKE`): trigrams answer
-- terms of three characters or more, and PostgreSQL keeps the indexes itself, so no search
-- table or triggers are needed. Created by the database's owner: pg_trgm is a trusted
-- extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX mailboxes_local_part_trgm ON mailboxes USING gin (local_part gin_trgm_ops);
CREATE INDEX mailboxes_first_name_trgm ON mailboxes USING gin (first_name gin_trgm_ops);
CREATE INDEX mailboxes_last_name_trgm ON mailboxes USING gin (last_name gin_trgm_ops);
