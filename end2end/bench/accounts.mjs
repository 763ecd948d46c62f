// A bulk add of 1,000 accounts against 1,000 bare hashes (the Users list of a large domain is
// measured by scale.mjs). The release server on loopback; the server stops at the end.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startServer, createDemoPostmaster, formAction } from '../tests/support/server.js';
import { writeSection } from './report.js';

const BULK = 1000;
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

  writeSection('accounts', `## Bulk add

\`make bench\` (end2end/bench/accounts.mjs), the release server on loopback, measured
${new Date().toISOString().slice(0, 10)} on the project's 2-core machine.

**Bulk add of ${BULK} accounts** (one paste, posted as the Add accounts form does; one transaction)
against ${BULK} bare Argon2id hashes (m=19456 KiB, t=2, p=1) spread over all cores by the same
hasher, in the same run (\`app/examples/hash_baseline.rs\`). Target: at most 1.25×.

| what | time |
| --- | --- |
| ${BULK} bare hashes | ${(baseline / 1000).toFixed(2)} s |
| bulk add of ${BULK} accounts | ${(bulkMs / 1000).toFixed(2)} s |
| ratio | ${(bulkMs / baseline).toFixed(2)}× |`);
} finally {
  await server.stop();
}
