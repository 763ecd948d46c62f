-- What Postfix and Dovecot read, as views: their least-privilege roles (the SQL that
-- `vpostmaster mail-roles` prints) may read these and nothing else, so a compromised mail
-- process sees no administrator, hash of an administrator, session or audit row, and can
-- change nothing but mailbox usage. A view reads its tables with its owner's rights, the
-- console's. The printed configurations query these views on SQLite too.

-- Postfix's virtual_mailbox_domains: every domain the console holds, a disabled one included
-- (its mail is then refused as unknown users rather than relayed elsewhere).
CREATE VIEW postfix_domains AS
    SELECT name FROM domains;

-- Postfix's virtual_mailbox_maps and the account branch of virtual_alias_maps: the active,
-- undeleted accounts of active domains, with where their mail goes (itself, its forwarding,
-- or both when it keeps a copy).
CREATE VIEW postfix_mailboxes AS
    SELECT m.email AS email, m.maildir AS maildir,
           CASE WHEN m.forward_to = '' THEN m.email
                WHEN m.forward_keep_copy = 1 THEN m.email || ', ' || m.forward_to
                ELSE m.forward_to END AS targets
    FROM mailboxes m JOIN domains d ON d.id = m.domain_id
    WHERE m.active = 1 AND m.deleted_at IS NULL AND d.active = 1;

-- The alias branch of virtual_alias_maps: live aliases of active domains.
CREATE VIEW postfix_aliases AS
    SELECT a.address AS address, a.targets AS targets
    FROM aliases a JOIN domains d ON d.id = a.domain_id
    WHERE a.deleted_at IS NULL AND d.active = 1;

-- The catch-all branch of virtual_alias_maps: active domains' catch-alls.
CREATE VIEW postfix_catch_alls AS
    SELECT name AS domain, catch_all AS target FROM domains
    WHERE catch_all <> '' AND active = 1;

-- Dovecot's passdb and userdb: the accounts that may log in and receive mail, with what
-- Dovecot needs of them and nothing else.
CREATE VIEW dovecot_accounts AS
    SELECT m.email AS email, m.password_hash AS password_hash, m.maildir AS maildir,
           m.quota_mb AS quota_mb
    FROM mailboxes m JOIN domains d ON d.id = m.domain_id
    WHERE m.active = 1 AND m.deleted_at IS NULL AND d.active = 1;
