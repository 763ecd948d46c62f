// Load fixtures written straight into the database with one shared hash, as an import would:
// hashing 100,000 passwords one by one would take over an hour. A target is `{ dataDir }` (the
// SQLite file of a data directory) or `{ url }` (a PostgreSQL database, through psql).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function sql(dataDir, script, ...args) {
  execFileSync('python3', ['-c', script, join(dataDir, 'vpostmaster.db'), ...args.map(String)]);
}

/** Runs `script` on the PostgreSQL database at `url` with psql, stopping at the first error. */
export function psql(url, script) {
  return execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', url], { input: script, encoding: 'utf8' });
}

/** The SQL each database writes the same fixtures with. */
const DIALECTS = {
  sqlite: {
    /** The numbers from `first` to `end` - 1 as rows of one column `i`. */
    series: (first, end) => `(WITH RECURSIVE n(i) AS (SELECT ${first} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${end}) SELECT i FROM n) AS n`,
    /** Rows written per transaction: SQLite writes a million in one. */
    chunk: Infinity,
    /** `number` in decimal, zero-padded to `width` digits. */
    pad: (number, width) => `printf('%0${width}d', ${number})`,
    now: "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
  },
  postgres: {
    series: (first, end) => `generate_series(${first}, ${end} - 1) AS n(i)`,
    // Each row's trigger updates its domain's count row; PostgreSQL keeps every version of that
    // row until the transaction ends, and each update walks them all: small transactions.
    chunk: 2_000,
    pad: (number, width) => `lpad((${number})::text, ${width}, '0')`,
    now: 'utc_now_text()',
  },
};

/** Runs `statements`, each in a transaction of its own, on `target`, then lets the database
 * settle: SQLite writes the log back (what is measured next is the server, not the disk),
 * PostgreSQL gathers the planner's statistics. */
function run(target, statements) {
  if (target.url) {
    psql(target.url, `${statements.join(';\n')};\nANALYZE;\n`);
    return;
  }
  sql(target.dataDir, `
import json, os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for statement in json.loads(sys.argv[2]):
    db.execute(statement)
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
os.sync()`, JSON.stringify(statements));
}

const dialect = (target) => DIALECTS[target.url ? 'postgres' : 'sqlite'];

/** `statement(series)` for the numbers 0 to count - 1, in as many statements as the database
 * wants them in. */
function chunked(target, count, statement) {
  const { series, chunk } = dialect(target);
  const statements = [];
  for (let first = 0; first < count; first += Math.min(chunk, count)) {
    statements.push(statement(series(first, Math.min(count, first + chunk))));
  }
  return statements;
}

/** Adds `count` accounts user000000… to example.test, with the postmaster's hash, in a few
 * statements: a million take about a minute, the database's triggers keeping its counts and
 * search index as they do for any add. */
export function seedAccounts(target, count) {
  const { pad } = dialect(target);
  run(target, chunked(target, count, (series) => `
INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir)
SELECT d.id, 'user' || ${pad('i', 6)}, 'user' || ${pad('i', 6)} || '@example.test', a.password_hash, 'Pat',
       CASE i % 8 WHEN 0 THEN 'Smith' WHEN 1 THEN 'Jones' WHEN 2 THEN 'Taylor' WHEN 3 THEN 'Brown'
                  WHEN 4 THEN 'Wilson' WHEN 5 THEN 'Evans' WHEN 6 THEN 'Thomas' ELSE 'Roberts' END,
       'example.test/user' || ${pad('i', 6)} || '.seed/'
FROM ${series}, domains d, admins a
WHERE d.name = 'example.test' AND a.email = 'postmaster@example.test'`));
}

/** What a large company's domain holds besides its accounts: `aliases` aliases
 * team00000…@example.test, each delivering to two of the `accounts` seeded accounts and every
 * tenth also outside; every `deletedEvery`-th account deleted today (still restorable); and
 * `history` entries of Activity, as a console in use for years has. */
export function seedDomainLife(target, { accounts, aliases, deletedEvery, history }) {
  const { pad, now } = dialect(target);
  const account = (number) => `'user' || ${pad(`(${number}) % ${accounts}`, 6)} || '@example.test'`;
  const alias = (number) => `'team' || ${pad(`(${number}) % ${aliases}`, 5)}`;
  run(target, [
    ...chunked(target, aliases, (series) => `INSERT INTO aliases (domain_id, local_part, address, targets)
     SELECT d.id, ${alias('i')}, ${alias('i')} || '@example.test',
            ${account('i * 7')} || ', ' || ${account('i * 7 + 1')}
            || CASE WHEN i % 10 = 0 THEN ', partner' || i || '@elsewhere.example' ELSE '' END
     FROM ${series}, domains d WHERE d.name = 'example.test'`),
    `UPDATE mailboxes SET deleted_at = ${now} WHERE local_part LIKE 'user%' AND id % ${deletedEvery} = 0`,
    ...chunked(target, history, (series) => `INSERT INTO audit_log (actor, client_addr, domain, action, target, outcome)
     SELECT 'postmaster@example.test', '127.0.0.1', 'example.test',
            CASE i % 4 WHEN 0 THEN 'mailbox.add' WHEN 1 THEN 'mailbox.passwd' WHEN 2 THEN 'log_on' ELSE 'alias.add' END,
            CASE i % 4 WHEN 2 THEN '' WHEN 3 THEN ${alias('i')} || '@example.test' ELSE ${account('i')} END,
            'ok'
     FROM ${series}`),
  ]);
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
