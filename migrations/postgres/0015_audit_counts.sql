-- A domain's Activity over a long history: how many entries each action has in each domain,
-- kept by triggers, so the screen's page count and its list of actions are read from a few
-- rows instead of counting and grouping the whole log on every page.
CREATE TABLE audit_counts (
    domain  TEXT   COLLATE "C" NOT NULL,
    action  TEXT   NOT NULL,
    entries BIGINT NOT NULL CHECK (entries >= 0),
    PRIMARY KEY (domain, action)
);

INSERT INTO audit_counts (domain, action, entries)
SELECT domain, action, COUNT(*) FROM audit_log WHERE domain IS NOT NULL GROUP BY domain, action;

-- An insert counts the entry in; the log's retention purge counts it out, and a count that
-- reaches nothing drops its action from the filter.
CREATE FUNCTION audit_counts_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_counts (domain, action, entries) VALUES (NEW.domain, NEW.action, 1)
            ON CONFLICT (domain, action) DO UPDATE SET entries = audit_counts.entries + 1;
    ELSE
        UPDATE audit_counts SET entries = entries - 1
         WHERE domain = OLD.domain AND action = OLD.action;
        DELETE FROM audit_counts
         WHERE domain = OLD.domain AND action = OLD.action AND entries = 0;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_log
FOR EACH ROW WHEN (NEW.domain IS NOT NULL) EXECUTE FUNCTION audit_counts_entry();

CREATE TRIGGER audit_counts_delete AFTER DELETE ON audit_log
FOR EACH ROW WHEN (OLD.domain IS NOT NULL) EXECUTE FUNCTION audit_counts_entry();
