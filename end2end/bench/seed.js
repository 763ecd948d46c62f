// Load fixtures written straight into the database with one shared hash, as an import would:
// hashing 100,000 passwords one by one would take over an hour.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function sql(dataDir, script, ...args) {
  execFileSync('python3', ['-c', script, join(dataDir, 'vpostmaster.db'), ...args.map(String)]);
}

/** Adds `count` accounts user000000… to example.test, with the postmaster's hash. */
export function seedAccounts(dataDir, count) {
  sql(dataDir, `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
domain, phc = db.execute("SELECT d.id, a.password_hash FROM domains d, admins a WHERE d.name = 'example.test'").fetchone()
names = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts"]
rows = ((domain, f"user{n:06}", f"user{n:06}@example.test", phc, "Pat", names[n % 8], f"example.test/user{n:06}.seed/") for n in range(int(sys.argv[2])))
db.executemany("INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir) VALUES (?,?,?,?,?,?,?)", rows)
db.commit()`, count);
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
