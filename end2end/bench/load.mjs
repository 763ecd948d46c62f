// Load on the release server over loopback, with wrk: the signed-in Users page of a domain of
// 100,000 accounts, then log-on, each for LOAD_SECONDS (60) at LOAD_CONNECTIONS (200). Every
// answer that is not the page, or not a signed-in redirect, counts as an error; the run fails
// unless there are none. Figures go to docs/reliability.md.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, createDemoPostmaster, formAction } from '../tests/support/server.js';
import { writeSection, RELIABILITY } from './report.js';
import { seedAccounts, seedPostmasters } from './seed.js';
import { wrk as wrkWith } from './wrk.js';

// What else ran on the machine shows in the figures: record it with them.
const STARTING_LOAD = loadavg()[0].toFixed(2);

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 200);
const ACCOUNTS = 100_000;
// Log-ons spread over postmasters and client addresses, as many people behind one proxy:
// the throttle allows five attempts in flight per address and twenty per client.
const POSTMASTERS = 1_000;

// Each thread counts log-ons that signed in and those refused (a redirect that carries an
// error, such as busy or throttled), by the redirect's target.
const LOG_ON_SCRIPT = `
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  action, origin, postmasters, password = args[1], args[2], tonumber(args[3]), args[4]
  n, signed_in, refused = 0, 0, 0
end
function request()
  n = n + 1
  local k = n * 2 + id
  local body = "email=pm" .. (k % postmasters) .. "%40example.test&password=" .. password
  return wrk.format("POST", action, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "text/html",
    ["Origin"] = origin,
    ["Sec-Fetch-Site"] = "same-origin",
    ["Referer"] = origin .. "/log-on",
    ["X-Forwarded-For"] = "10." .. (math.floor(k / 65536) % 256) .. "." .. (math.floor(k / 256) % 256) .. "." .. (k % 256),
  }, body)
end
function response(status, headers, body)
  if status == 302 and headers["location"] == "/users" then
    signed_in = signed_in + 1
  else
    refused = refused + 1
  end
end
function done(summary, latency, requests)
  local ok, no = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("signed_in")
    no = no + t:get("refused")
  end
  io.write(string.format("Signed in: %d\\nRefused: %d\\n", ok, no))
end
`;

const wrk = (args) => wrkWith(args, { connections: CONNECTIONS, seconds: SECONDS });

const scratch = mkdtempSync(join(tmpdir(), 'vpm-load-'));
const server = await startServer({
  // The seeded accounts' Maildirs are created in the background once the server serves.
  startTimeoutMs: 300_000,
  setup: (dataDir) => {
    const postmaster = createDemoPostmaster(dataDir);
    seedAccounts({ dataDir }, ACCOUNTS);
    seedPostmasters(dataDir, POSTMASTERS);
    return postmaster;
  },
  args: ['--behind-proxy'],
});
let failed = false;
try {
  const action = await formAction(server.url, '/log-on');
  const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: server.url };
  const logOn = await fetch(`${server.url}${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers,
    body: new URLSearchParams(server.context).toString(),
  });
  const cookie = logOn.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error(`log on failed: ${logOn.status}`);
  const page = await fetch(`${server.url}/users`, { headers: { cookie } });
  if (page.status !== 200 || !(await page.text()).includes('user000000@example.test')) {
    throw new Error(`the Users page did not list the domain: ${page.status}`);
  }

  const users = await wrk(['-H', `Cookie: ${cookie}`, `${server.url}/users`]);
  const script = join(scratch, 'log_on.lua');
  writeFileSync(script, LOG_ON_SCRIPT);
  const password = encodeURIComponent(server.context.password);
  const logOns = await wrk(['-s', script, server.url, '--', action, server.url, String(POSTMASTERS), password]);

  const errors = (f) => f.socketErrors + f.non2xx3xx + f.refused;
  failed = errors(users) + errors(logOns) > 0;
  const rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim();
  const row = (name, f) =>
    `| ${name} | ${f.requests} | ${f.rps.toFixed(1)} | ${f.p50.toFixed(1)} ms | ${f.p99.toFixed(1)} ms | ${f.socketErrors} | ${f.non2xx3xx} | ${f.refused} |`;
  writeSection(
    'load',
    `
### Load

\`make reliability-load\` (end2end/bench/load.mjs), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, on
${cpus().length} cores (1-minute load average ${STARTING_LOAD} when it began; wrk and the server share them), ${rustc}. The release server on loopback with a fresh
data directory: example.test holds ${ACCOUNTS.toLocaleString('en')} accounts and ${POSTMASTERS.toLocaleString('en')} more postmasters,
written straight into the database with the demo postmaster's Argon2id hash. wrk 4.1, 2 threads,
${CONNECTIONS} connections kept open, ${SECONDS} s per row, 30 s timeout.

- **Users page**: \`GET /users\` signed in (the first page of 100,000 accounts, server-rendered).
- **Log-on**: the log-on form posted as a browser without JavaScript posts it (Origin,
  Sec-Fetch-Site, Referer, form-encoded), each with the right password, one Argon2id verification each.
  The server runs with \`--behind-proxy\` and each request carries its own X-Forwarded-For, and
  they cycle over the ${POSTMASTERS} postmasters: one client at one address is held to a few
  attempts in flight by the throttle, which would be the figure measured otherwise. A refusal is
  a redirect that carries an error (busy, throttled) instead of the one to /users.

| Load | Requests | Requests/s | p50 | p99 | Socket errors | Non-2xx/3xx | Refused |
|---|---|---|---|---|---|---|---|
${row('Users page', users)}
${row('Log-on', logOns)}

${failed ? '**Errors: the run failed.**' : 'No errors.'}
`,
    RELIABILITY,
  );
} finally {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}
if (failed) process.exit(1);
