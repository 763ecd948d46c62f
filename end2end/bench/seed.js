// Load fixtures written straight into the database with one shared hash, as an import would:
// hashing 100,000 passwords one by one would take over an hour.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function sql(dataDir, script, ...args) {
  execFileSync('python3', ['-c', script, join(dataDir, 'vpostmaster.db'), ...args.map(String)]);
}

/** Adds `count` accounts user000000… to example.test, with the postmaster's hash, in one
 * statement: a million take under a minute, the database's triggers keeping its counts and
 * search index as they do for any add. */
export function seedAccounts(dataDir, count) {
  sql(dataDir, `
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?),
     pm(domain, phc) AS (SELECT d.id, a.password_hash FROM domains d, admins a WHERE d.name = 'example.test' LIMIT 1)
INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir)
SELECT domain, printf('user%06d', i), printf('user%06d@example.test', i), phc, 'Pat',
       CASE i % 8 WHEN 0 THEN 'Smith' WHEN 1 THEN 'Jones' WHEN 2 THEN 'Taylor' WHEN 3 THEN 'Brown'
                  WHEN 4 THEN 'Wilson' WHEN 5 THEN 'Evans' WHEN 6 THEN 'Thomas' ELSE 'Roberts' END,
       printf('example.test/user%06d.seed/', i)
FROM n, pm""", (int(sys.argv[2]),))
db.commit()
# What is measured next is the server, not the disk still writing the seed back.
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
os.sync()`, count);
}

/** Adds `count` postmasters pm0…@example.test of example.test, with the postmaster's password. */
export function seedPostmasters(dataDir, count) {
  sql(dataDir, `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
domain, phc = db.execute("SELECT d.id, a.password_hash FROM domains d, admins a WHERE d.name = 'example.test'").fetchone()
for n in range(int(sys.argv[2])):
    admin = db.execute("INSERT INTO admins (email, password_hash) VALUES (?, ?)", (f"pm{n}@example.test", phc)).lastrowid
    db.execute("INSERT INTO admin_domains (admin_id, domain_id) VALUES (?, ?)", (admin, domain))
db.commit()`, count);
}
