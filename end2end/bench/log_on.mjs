// Log-on latency alone and under a flood of wrong log-ons, and what the flood does to other
// pages. Runs the release server on loopback; every loop is bounded and the server stops.
import { startServer, createDemoPostmaster, formAction } from '../tests/support/server.js';
import { writeSection, summary } from './report.js';

const ROUNDS = 40;
const FLOODERS = 100;
const PAGE_LOADS = 200;

const server = await startServer({ setup: createDemoPostmaster, args: ['--behind-proxy'] });
const { email, password } = server.context;
let logOnPath;

async function logOn(user, pass, client) {
  const started = performance.now();
  const response = await fetch(`${server.url}${logOnPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': client, origin: server.url },
    body: new URLSearchParams({ email: user, password: pass }),
  });
  await response.arrayBuffer();
  return performance.now() - started;
}

async function loadPage(path) {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

try {
  logOnPath = await formAction(server.url, '/log-on');
  const alone = [];
  for (let i = 0; i < ROUNDS; i++) alone.push(await logOn(email, password, '198.51.100.1'));
  const pagesAlone = [];
  for (let i = 0; i < PAGE_LOADS; i++) pagesAlone.push(await loadPage('/log-on'));

  // The flood: each attacker guesses a different address from a different client, so that
  // neither throttle stops it and every attempt costs a full hash: the worst case.
  let flooding = true;
  let floodAttempts = 0;
  const flooders = Array.from({ length: FLOODERS }, async (_, n) => {
    while (flooding) {
      const k = floodAttempts++;
      await logOn(`guess${n}-${k}@example.test`, 'Wrong#pass1', `198.18.${(k >> 8) & 255}.${k & 255}`);
    }
  });
  const underFlood = [];
  const pagesUnderFlood = [];
  const floodStart = performance.now();
  for (let i = 0; i < ROUNDS; i++) underFlood.push(await logOn(email, password, '198.51.100.2'));
  for (let i = 0; i < PAGE_LOADS; i++) pagesUnderFlood.push(await loadPage('/log-on'));
  const floodSeconds = (performance.now() - floodStart) / 1000;
  flooding = false;
  await Promise.all(flooders);

  const rows = [
    ['log on (right password), alone', summary(alone)],
    ['log-on page, alone', summary(pagesAlone)],
    [`log on (right password), ${FLOODERS} concurrent wrong log-ons`, summary(underFlood)],
    [`log-on page, ${FLOODERS} concurrent wrong log-ons`, summary(pagesUnderFlood)],
  ];
  writeSection('log-on', `## Log on under load

\`make bench\` (end2end/bench/log_on.mjs): the release server on loopback, Argon2id m=19456 KiB, t=2, p=1,
hashing bounded to the number of cores. The flood sends ${FLOODERS} concurrent wrong log-ons, each for
another address from another client address (behind a proxy), so that no throttle stops them: every
attempt costs a full hash. ${(floodAttempts / floodSeconds).toFixed(0)} wrong log-ons per second were answered during the flood.
Measured ${new Date().toISOString().slice(0, 10)} on the project's 2-core machine.

| what | p50 | p99 | samples |
| --- | --- | --- | --- |
${rows.map(([what, s]) => `| ${what} | ${s.p50} | ${s.p99} | ${s.n} |`).join('\n')}

Target: other pages under 50 ms p99 during the flood.`);
} finally {
  await server.stop();
}
