-- "Deleted accounts" of one domain, newest first: the purge's index (by age across all
-- domains) would read every domain's deleted accounts to find one domain's.
CREATE INDEX mailboxes_domain_deleted ON mailboxes (domain_id, deleted_at) WHERE deleted_at IS NOT NULL;
