// Account management at scale: a bulk add of 1,000 accounts against 1,000 bare hashes, and
// the Users page of a domain with 100,000 accounts. The release server on loopback; bounded
// loops; the server stops at the end.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startServer, createDemoPostmaster, formAction } from '../tests/support/server.js';
import { writeSection, summary } from './report.js';
import { seedAccounts } from './seed.js';

const BULK = 1000;
const DOMAIN_SIZE = 100_000;
const PAGE_LOADS = 100;
const ROOT = resolve(import.meta.dirname, '../..');

const server = await startServer({ setup: createDemoPostmaster });

/** Posts `form` to `path` as a browser's form does, without following the answer's redirect. */
async function post(path, form, cookie) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form),
  });
  await response.arrayBuffer();
  return response;
}

async function timed(url, cookie) {
  const started = performance.now();
  const response = await fetch(url, { headers: { cookie } });
  const body = await response.text();
  if (!response.ok || !body.includes('Users')) throw new Error(`${url}: ${response.status}`);
  return performance.now() - started;
}

try {
  const logOn = await post(await formAction(server.url, '/log-on'), server.context);
  const cookie = logOn.headers.get('set-cookie').split(';')[0];

  const baseline = Number(execFileSync('cargo', ['run', '--quiet', '--release', '-p', 'app', '--features', 'ssr', '--example', 'hash_baseline', '--', String(BULK)], { cwd: ROOT, encoding: 'utf8' }).trim());
  const paste = Array.from({ length: BULK }, (_, n) => `bulk${n} Kq7#${n}vZp${n}x Kq7#${n}vZp${n}x`).join('\n');
  const started = performance.now();
  // The Add accounts form posts to its own page, which answers with the result screen's address.
  const added = await post('/users/add', { domain: 'example.test', text: paste }, cookie);
  const bulkMs = performance.now() - started;
  if (!added.headers.get('location')?.startsWith('/users/added')) throw new Error(`bulk add refused: ${added.status}`);

  seedAccounts(server.dataDir, DOMAIN_SIZE);
  const list = [];
  const search = [];
  for (let i = 0; i < PAGE_LOADS; i++) list.push(await timed(`${server.url}/users?page=${1 + (i % 50)}`, cookie));
  for (let i = 0; i < PAGE_LOADS; i++) search.push(await timed(`${server.url}/users?q=${['smith', 'user0421', 'taylor', 'pat'][i % 4]}`, cookie));
  const [l, s] = [summary(list), summary(search)];

  writeSection('accounts', `## Accounts at scale

\`make bench\` (end2end/bench/accounts.mjs), the release server on loopback, measured
${new Date().toISOString().slice(0, 10)} on the project's 2-core machine.

**Bulk add of ${BULK} accounts** (one paste, posted as the Add accounts form does; one transaction)
against ${BULK} bare Argon2id hashes (m=19456 KiB, t=2, p=1) spread over all cores by the same
hasher, in the same run (\`app/examples/hash_baseline.rs\`). Target: at most 1.25×.

| what | time |
| --- | --- |
| ${BULK} bare hashes | ${(baseline / 1000).toFixed(2)} s |
| bulk add of ${BULK} accounts | ${(bulkMs / 1000).toFixed(2)} s |
| ratio | ${(bulkMs / baseline).toFixed(2)}× |

**Users page of a domain with ${DOMAIN_SIZE.toLocaleString('en')} more accounts**: the whole page as the
browser gets it (server render, signed in), over HTTP on loopback. Paging and search run in SQL.
Target: p50 under 20 ms.

| what | p50 | p99 | samples |
| --- | --- | --- | --- |
| Users, pages 1–50 | ${l.p50} | ${l.p99} | ${l.n} |
| Users, search (name or address) | ${s.p50} | ${s.p99} | ${s.n} |`);
} finally {
  await server.stop();
}
