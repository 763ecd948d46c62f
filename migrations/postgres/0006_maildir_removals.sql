-- Maildirs that must go unless an account refers to them: those created for accounts whose
-- rows are not committed yet, and those of purged accounts until their folders are removed.
-- The start-up reconciliation finishes what a crash left half done.
CREATE TABLE maildir_removals (
    maildir TEXT PRIMARY KEY
);
