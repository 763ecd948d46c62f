-- A search that reads a domain in address order tests each live account's local part and
-- names: with the names in the index, that test can read the index alone, not each row.
DROP INDEX mailboxes_domain_live;
CREATE INDEX mailboxes_domain_live
    ON mailboxes (domain_id, local_part) INCLUDE (first_name, last_name)
    WHERE deleted_at IS NULL;
