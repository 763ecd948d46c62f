-- A hundred thousand aliases in one domain: the Aliases page reads its count from a row kept
-- by triggers instead of counting the domain's aliases on every page, and its search goes
-- through trigram indexes instead of a scan of every alias.

-- Live aliases of each domain, kept by the triggers below.
CREATE TABLE domain_alias_counts (
    domain_id BIGINT PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    live      BIGINT NOT NULL DEFAULT 0 CHECK (live >= 0)
);

INSERT INTO domain_alias_counts (domain_id, live)
SELECT d.id, (SELECT COUNT(*) FROM aliases a WHERE a.domain_id = d.id AND a.deleted_at IS NULL)
FROM domains d;

CREATE FUNCTION domain_alias_counts_domain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO domain_alias_counts (domain_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_alias_counts_domain AFTER INSERT ON domains
FOR EACH ROW EXECUTE FUNCTION domain_alias_counts_domain();

-- One function for the three alias triggers: an insert counts the new row in, a delete
-- counts the old row out, and a delete to Deleted aliases, a restore or a move between
-- domains does both.
CREATE FUNCTION domain_alias_counts_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE domain_alias_counts SET live = live - (OLD.deleted_at IS NULL)::int
         WHERE domain_id = OLD.domain_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO domain_alias_counts (domain_id) VALUES (NEW.domain_id)
            ON CONFLICT DO NOTHING;
        UPDATE domain_alias_counts SET live = live + (NEW.deleted_at IS NULL)::int
         WHERE domain_id = NEW.domain_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_alias_counts_insert AFTER INSERT ON aliases
FOR EACH ROW EXECUTE FUNCTION domain_alias_counts_alias();

CREATE TRIGGER domain_alias_counts_delete AFTER DELETE ON aliases
FOR EACH ROW EXECUTE FUNCTION domain_alias_counts_alias();

CREATE TRIGGER domain_alias_counts_update AFTER UPDATE OF deleted_at, domain_id ON aliases
FOR EACH ROW
WHEN ((OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL)
      OR OLD.domain_id IS DISTINCT FROM NEW.domain_id)
EXECUTE FUNCTION domain_alias_counts_alias();

-- Search by substring of the address or the targets (LIKE: both are stored lowercase, and the
-- term is lowercased): trigrams answer terms of three characters or more, and PostgreSQL keeps
-- the indexes itself. pg_trgm was created with the accounts' search indexes.
CREATE INDEX aliases_address_trgm ON aliases USING gin (address gin_trgm_ops);
CREATE INDEX aliases_targets_trgm ON aliases USING gin (targets gin_trgm_ops);
