-- Activity filtered by one account reads that account's entries of the domain, newest first,
-- from this index alone, however long the domain's log.
CREATE INDEX audit_log_domain_target ON audit_log (domain, target, id);
