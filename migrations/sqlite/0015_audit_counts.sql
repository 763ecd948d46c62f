-- A domain's Activity over a long history: how many entries each action has in each domain,
-- kept by triggers, so the screen's page count and its list of actions are read from a few
-- rows instead of counting and grouping the whole log on every page.
CREATE TABLE audit_counts (
    domain  TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    entries INTEGER NOT NULL CHECK (entries >= 0),
    PRIMARY KEY (domain, action)
) STRICT, WITHOUT ROWID;

INSERT INTO audit_counts (domain, action, entries)
SELECT domain, action, COUNT(*) FROM audit_log WHERE domain IS NOT NULL GROUP BY domain, action;

CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_log WHEN new.domain IS NOT NULL
BEGIN
    INSERT INTO audit_counts (domain, action, entries) VALUES (new.domain, new.action, 1)
        ON CONFLICT (domain, action) DO UPDATE SET entries = entries + 1;
END;

-- The log's retention purge; a count that reaches nothing drops its action from the filter.
CREATE TRIGGER audit_counts_delete AFTER DELETE ON audit_log WHEN old.domain IS NOT NULL
BEGIN
    UPDATE audit_counts SET entries = entries - 1 WHERE domain = old.domain AND action = old.action;
    DELETE FROM audit_counts WHERE domain = old.domain AND action = old.action AND entries = 0;
END;
