-- Each account's mailbox usage as Dovecot counts it: its quota_clone plugin replaces the row
-- after every delivery, expunge or move, through the SQL dict that `vpostmaster dovecot-config
-- --dict` prints. Keyed by address, Dovecot's user name; the console only reads it, so pages
-- never walk a Maildir.
CREATE TABLE mailbox_usage (
    email    TEXT PRIMARY KEY NOT NULL,
    bytes    INTEGER NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0
);

-- A new account starts with a new, empty Maildir: a row left by an earlier account of the same
-- address (purged) must not show as its usage.
CREATE TRIGGER mailbox_usage_new_account AFTER INSERT ON mailboxes
BEGIN
    DELETE FROM mailbox_usage WHERE email = NEW.email;
END;
