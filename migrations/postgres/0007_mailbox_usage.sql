-- Each account's mailbox usage as Dovecot counts it: its quota_clone plugin replaces the row
-- after every delivery, expunge or move, through the SQL dict that `vpostmaster dovecot-config
-- --dict` prints (an upsert on the key). Keyed by address, Dovecot's user name; the console
-- only reads it, so pages never walk a Maildir.
CREATE TABLE mailbox_usage (
    email    TEXT   COLLATE "C" PRIMARY KEY NOT NULL,
    bytes    BIGINT NOT NULL DEFAULT 0,
    messages BIGINT NOT NULL DEFAULT 0
);

-- A new account starts with a new, empty Maildir: a row left by an earlier account of the same
-- address (purged) must not show as its usage.
CREATE FUNCTION mailbox_usage_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mailbox_usage WHERE email = NEW.email;
    RETURN NULL;
END;
$$;

CREATE TRIGGER mailbox_usage_new_account AFTER INSERT ON mailboxes
FOR EACH ROW EXECUTE FUNCTION mailbox_usage_new_account();
