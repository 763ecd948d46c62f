-- A search that reads a domain in address order (a term of one or two characters, or a common
-- one) tests each live account's local part and names: with them, and the column the index's
-- condition names, in the index itself, that test reads the index alone, not each row.
DROP INDEX mailboxes_domain_live;
CREATE INDEX mailboxes_domain_live
    ON mailboxes (domain_id, local_part, first_name, last_name, deleted_at)
    WHERE deleted_at IS NULL;
