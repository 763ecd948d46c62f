// Every signed-in screen of one domain of 100,000 and of 1,000,000 accounts (with a tenth as
// many aliases, a thousandth of the accounts deleted and as many Activity entries as accounts),
// on the release server over loopback: each page alone (sequential requests), then under
// SCALE_CONNECTIONS (200) clients with wrk for SCALE_SECONDS (15) each, beside the log-on page's
// rate in the same run, and the server's memory; then, on SQLite, the start-up on a copy of that
// database (time to the first answer, and a Users page while the Maildirs are still being
// checked). Run under server/tests/with-postgres it measures PostgreSQL instead (100,000
// accounts by default). Bounded loops; every server stops at the end. Figures go to
// docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, createDemoPostmaster, formAction } from '../tests/support/server.js';
import { writeSection, summary } from './report.js';
import { psql, seedAccounts, seedDomainLife } from './seed.js';
import { wrk } from './wrk.js';

// The private PostgreSQL server of server/tests/with-postgres, when run under it.
const POSTGRES = process.env.VPM_TEST_POSTGRES;
const SIZES = (process.env.SCALE_SIZES ?? (POSTGRES ? '100000' : '100000,1000000')).split(',').map(Number);
const SECONDS = Number(process.env.SCALE_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.SCALE_CONNECTIONS ?? 200);
const ALONE = 200;
const WHILE_STARTING = 50;
// Waiting for the Maildirs of a million accounts (four million directories) would take the
// run's disk and minutes: the check's duration is recorded up to this size.
const RECONCILE_WAITED = 100_000;
const STARTING_LOAD = loadavg()[0].toFixed(2);

const address = (n) => `user${String(n).padStart(6, '0')}@example.test`;

/** Signs in as the demo postmaster, as the log-on form posts; returns the session cookie. */
async function signIn(server) {
  const action = await formAction(server.url, '/log-on');
  const response = await fetch(`${server.url}${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    body: new URLSearchParams(server.context).toString(),
  });
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error(`log on failed: ${response.status}`);
  return cookie;
}

/** Milliseconds of `count` requests one after the other, each checked for `expect`. */
async function alone(url, cookie, expect, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    const body = await response.text();
    times.push(performance.now() - started);
    if (response.status !== 200 || !body.includes(expect)) throw new Error(`${url}: ${response.status}, no ${expect}`);
  }
  return summary(times);
}

/** Copies the server's database while it runs, as SQLite's backup does. */
function backup(dataDir, to) {
  execFileSync('python3', ['-c', `
import sqlite3, sys
source, copy = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
source.backup(copy)
copy.close()`, join(dataDir, 'vpostmaster.db'), to]);
}

/** The server's resident memory now, in MB, as the kernel counts it. */
function residentMB(pid) {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** A fresh database on the PostgreSQL server for one size; its URL. */
function postgresDatabase(size) {
  const name = `vpm_scale_${size}_${process.pid}`;
  psql(POSTGRES, `CREATE DATABASE ${name}`);
  return `${POSTGRES.slice(0, POSTGRES.lastIndexOf('/'))}/${name}`;
}

const ms = (value) => `${value.toFixed(1)} ms`;
const sections = [];
const scratch = mkdtempSync(join(tmpdir(), 'vpm-scale-'));
try {
  for (const size of SIZES) {
    // The demo command and the server read the database's URL from the environment.
    if (POSTGRES) process.env.VPM_DATABASE_URL = postgresDatabase(size);
    // wrk is one client: its connections all count against one client's share, beside the
    // single requests' own and those of the row before that the server has yet to see closed.
    const server = await startServer({
      setup: createDemoPostmaster,
      args: ['--max-connections-per-client', String(2 * CONNECTIONS)],
    });
    const rows = [];
    let seedSeconds;
    let peakMB = 0;
    const copy = join(scratch, `${size}.db`);
    try {
      const seeded = performance.now();
      const target = POSTGRES ? { url: process.env.VPM_DATABASE_URL } : { dataDir: server.dataDir };
      seedAccounts(target, size);
      seedDomainLife(target, { accounts: size, aliases: size / 10, deletedEvery: 1000, history: size });
      seedSeconds = (performance.now() - seeded) / 1000;
      const cookie = await signIn(server);
      const deep = Math.floor(size * 0.9);
      const cases = [
        ['Users, first page', '/users', address(49)],
        ['Users, a page at 90 % (after an address)', `/users?page=${Math.floor(deep / 50) + 2}&after=${encodeURIComponent(address(deep))}`, address(deep + 50)],
        ['Search, the start of 100 addresses (`user0421`)', '/users?q=user0421', address(42149)],
        ['Search, a full address', `/users?q=${encodeURIComponent(address(42149))}`, address(42149)],
        ['Search, a name in one account of 8 (`roberts`)', '/users?q=roberts', '1,000+ accounts'],
        ['Edit account', `/users/edit?email=${encodeURIComponent(address(deep + 1))}`, address(deep + 1)],
        ['Deleted accounts', '/users/deleted', 'Restore'],
        ['Aliases, first page', '/aliases', 'team00049@'],
        ['Aliases, search for an alias (`team00042`)', '/aliases?q=team00042', 'team00042@'],
        ['Aliases, search for a target', `/aliases?q=${encodeURIComponent(address(7 * 4242))}`, 'team04242@'],
        ['Activity', '/activity', 'Password changed'],
        // What the same server and wrk reach at all on this machine: the log-on page (no list,
        // no layout) and a small file of the site, both behind the same session check.
        ['Ceiling: the log-on page', '/log-on', 'Log on'],
        ['Ceiling: a site file (favicon.svg)', '/favicon.svg', '<svg'],
      ];
      const measured = [];
      for (const [name, path, expect] of cases) {
        const url = `${server.url}${path}`;
        const single = await alone(url, cookie, expect, ALONE);
        const load = await wrk(['-H', `Cookie: ${cookie}`, url], { connections: CONNECTIONS, seconds: SECONDS });
        peakMB = Math.max(peakMB, residentMB(server.pid));
        measured.push({ name, single, load });
      }
      // Each screen's rate beside the ceiling's in the same run: the machine's speed changes
      // by up to a half within an hour, the ratio much less.
      const ceiling = measured.find(({ name }) => name.startsWith('Ceiling: the log-on')).load.rps;
      for (const { name, single, load } of measured) {
        const errors = load.socketErrors + load.non2xx3xx;
        rows.push(`| ${name} | ${single.p50} | ${single.p99} | ${load.rps.toFixed(0)} | ${(load.rps / ceiling).toFixed(2)} | ${ms(load.p50)} | ${ms(load.p99)} | ${errors} |`);
      }
      if (!POSTGRES) backup(server.dataDir, copy);
    } finally {
      await server.stop();
    }

    sections.push(`### ${size.toLocaleString('en')} accounts in one domain

Seeded in ${seedSeconds.toFixed(1)} s (a few SQL statements; the triggers keep the counts and the search indexes).
The server's memory (resident) after each row's load: at most ${peakMB.toFixed(0)} MB.

| what | p50 alone | p99 alone | requests/s under ${CONNECTIONS} clients | ÷ log-on page | p50 | p99 | errors |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`);
    if (POSTGRES) continue;

    // Start-up on the same accounts, none of whose Maildirs exist yet.
    let setupDone;
    const restarted = await startServer({
      setup: (dataDir) => {
        copyFileSync(copy, join(dataDir, 'vpostmaster.db'));
        setupDone = performance.now();
        return server.context;
      },
    });
    let startup;
    try {
      const firstAnswer = performance.now() - setupDone;
      const cookie = await signIn(restarted);
      const during = await alone(`${restarted.url}/users`, cookie, address(49), WHILE_STARTING);
      const checking = !/reconciled the Maildirs/.test(restarted.output());
      let reconciled = 'not waited for';
      if (size <= RECONCILE_WAITED) {
        const deadline = Date.now() + 15 * 60_000;
        let done;
        // The log may be coloured: its escape codes go before it is read.
        const log = () => restarted.output().replace(/\x1b\[[0-9;]*m/g, '');
        while (!(done = /reconciled the Maildirs[^\n]*seconds=([\d.]+)/.exec(log())) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        reconciled = done ? `${done[1]} s` : 'over 15 min';
      }
      startup = { firstAnswer, during, checking, reconciled };
    } finally {
      await restarted.stop();
      rmSync(copy, { force: true });
    }

    sections.push(`Start-up on a copy of this database, no Maildir on disk yet: first answer ${ms(startup.firstAnswer)} after the
process is started; then a Users page alone p50 ${startup.during.p50} (p99 ${startup.during.p99}, ${startup.during.n} requests)${startup.checking ? ' while the Maildirs were still being checked' : ''};
the check of every Maildir in the background: ${startup.reconciled}.`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim();
const database = POSTGRES ? 'PostgreSQL 15 (a private server on loopback, as the tests run it)' : 'SQLite';
writeSection(POSTGRES ? 'scale-postgres' : 'users-scale', `## The screens at scale${POSTGRES ? ' on PostgreSQL' : ''}

\`${POSTGRES ? 'server/tests/with-postgres node end2end/bench/scale.mjs' : 'make bench'}\` (end2end/bench/scale.mjs), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${database}, the release server on
loopback, ${cpus().length} cores shared with wrk (1-minute load average ${STARTING_LOAD} when it began), ${rustc}.
The accounts, aliases, deletes and Activity entries are written straight into the database of a
running server with the demo postmaster's hash. "Alone": ${ALONE} requests one after another
with fetch, the whole page as the browser gets it (server render, signed in). Under load: wrk
4.1, 2 threads, ${CONNECTIONS} connections kept open, ${SECONDS} s per row, 30 s timeout.

**Targets** (issue 29): at 1,000,000 accounts and 100,000 aliases, every signed-in screen alone
p50 under 3 ms, and under 200 clients at least 0.35 times the log-on page's rate in the same run
(the "÷ log-on page" column), with no errors; the server's memory under 150 MB.

${sections.join('\n\n')}`);
