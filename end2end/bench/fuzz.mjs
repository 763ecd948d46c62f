// The fuzz targets in release mode, FUZZ_CASES (1,000,000) inputs each unless a target's
// share says it costs more per input (the share mirrors the `fuzz::cases(share)` of its test),
// two at a time. The server function targets run on SQLite and again on a private PostgreSQL
// (server/tests/with-postgres); they take a few milliseconds a request through the router, with
// the other domain's rows read after each, so they run a quarter of the count
// (FUZZ_HTTP_SHARE=1 runs all of it). They print the slowest input's time and the most memory
// one input took, which the table records. Prints and writes the figures to
// docs/reliability.md, keeping the previous run's table beside them; fails if a target fails.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeSection, RELIABILITY } from './report.js';

// What else ran on the machine shows in the figures: record it with them.
const STARTING_LOAD = loadavg()[0].toFixed(2);

const ROOT = resolve(import.meta.dirname, '../..');
const CASES = Number(process.env.FUZZ_CASES ?? 1_000_000);
const HTTP_SHARE = Number(process.env.FUZZ_HTTP_SHARE ?? 4);

const TARGETS = [
  ['app', 'fuzz_rules', 'fuzz_bulk_paste', 1, 'Add many accounts paste (any text, token soup), read back'],
  ['app', 'fuzz_rules', 'fuzz_huge_paste', 1000, 'Paste near and past the 1 MiB limit'],
  ['app', 'fuzz_rules', 'fuzz_username', 1, 'Username'],
  ['app', 'fuzz_rules', 'fuzz_password', 1, 'Password rules, with any names and domain'],
  ['app', 'fuzz_rules', 'fuzz_one_account', 1, 'Add one account (all fields)'],
  ['app', 'fuzz_rules', 'fuzz_names', 1, 'First and last names'],
  ['app', 'fuzz_rules', 'fuzz_domain_and_address', 1, 'Domain names and full addresses'],
  ['app', 'fuzz_rules', 'fuzz_generated_password', 1, 'Generated passwords (any names, any length)'],
  ['app', 'fuzz_rules', 'fuzz_format_line', 1, 'A line written for any account, read back'],
  ['server', 'fuzz_config', 'fuzz_command_line', 1, 'Command line (any argv), then dovecot-config / postfix-config'],
  ['server', 'fuzz_config', 'fuzz_config_generators', 1, 'Dovecot and Postfix generators (any paths, listen, ports)'],
  ...['sqlite', 'postgresql'].flatMap((database) => [
    ['server', 'fuzz_http', 'fuzz_server_functions_and_pages', 1, 'Every server function and page, two-factor log-on included, signed in, through the router', HTTP_SHARE, database],
    ['server', 'fuzz_http', 'fuzz_log_on_and_log_off', 200, 'Log-on, its code form and log-off (one Argon2id verification per input)', HTTP_SHARE, database],
  ]),
];
const WITH_POSTGRES = resolve(ROOT, 'server/tests/with-postgres');

const run = promisify(execFile);

for (const pkg of ['app', 'server']) {
  const tests = [...new Set(TARGETS.filter((t) => t[0] === pkg).map((t) => t[1]))];
  execFileSync('cargo', ['test', '--release', '-p', pkg, ...tests.flatMap((t) => ['--test', t]), '--no-run'], { cwd: ROOT, stdio: 'inherit' });
}

const results = [];
async function worker(queue) {
  for (let target = queue.shift(); target; target = queue.shift()) {
    const [pkg, test, name, share, what, runShare = 1, database = ''] = target;
    const cases = Math.floor(CASES / runShare);
    const env = { ...process.env, VPM_FUZZ_CASES: String(cases) };
    const cargo = ['cargo', 'test', '--quiet', '--release', '-p', pkg, '--test', test, '--', '--exact', name, '--nocapture'];
    const [command, ...args] = database === 'postgresql' ? [WITH_POSTGRES, ...cargo] : cargo;
    const started = Date.now();
    let ok = true;
    let stdout = '';
    try {
      ({ stdout } = await run(command, args, { cwd: ROOT, env, maxBuffer: 64 << 20 }));
    } catch (error) {
      ok = false;
      stdout = error.stdout ?? '';
      console.error(`${name} ${database} failed:\n${error.stdout}\n${error.stderr}`);
    }
    const seconds = (Date.now() - started) / 1000;
    const inputs = Math.max(1, Math.floor(cases / share));
    // The line the server fuzz targets print: the slowest input and the most memory one took.
    const figures = /fuzz figures: .*worst_case_ms=(\d+) worst_case_peak_kib=(\d+)/.exec(stdout);
    const worst = figures ? { ms: Number(figures[1]), mib: Number(figures[2]) / 1024 } : null;
    console.log(`${name} ${database}: ${inputs} inputs, ${seconds.toFixed(0)} s, ${ok ? 'ok' : 'FAILED'}`);
    results.push({ name, what, database, inputs, seconds, worst, ok });
  }
}
const queue = [...TARGETS];
const started = Date.now();
await Promise.all([worker(queue), worker(queue)]);
const total = (Date.now() - started) / 60000;
const order = (r) => TARGETS.findIndex((t) => t[2] === r.name && (t[6] ?? '') === r.database);
results.sort((a, b) => order(a) - order(b));

// The table of the run before this one, kept beside the new figures.
const before = (() => {
  const text = readFileSync(RELIABILITY, 'utf8');
  const section = text.slice(text.indexOf('<!-- fuzz -->'), text.indexOf('<!-- /fuzz -->'));
  const when = /`make reliability-fuzz` \(end2end\/bench\/fuzz\.mjs\), ([\s\S]+?) in all\./.exec(section)?.[1].replace(/\s+/g, ' ');
  const table = section.slice(section.indexOf('| Target |')).split('\n\n')[0];
  return when && table.startsWith('| Target |') ? { when, table } : null;
})();

const rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim();
const failed = results.some((r) => !r.ok);
writeSection(
  'fuzz',
  `
### Fuzzing

\`make reliability-fuzz\` (end2end/bench/fuzz.mjs), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, on
${cpus().length} cores (1-minute load average ${STARTING_LOAD} when it began), ${rustc} (stable: no cargo-fuzz, so long proptest runs
of generated, near-valid and oversized inputs), release mode, FUZZ_CASES=${CASES.toLocaleString('en')}, two targets at a time, ${total.toFixed(1)} min in all.
A target passes when no input panics, every answer over HTTP is a page, a redirect, a 4xx or
a server function's refusal (never \`Internal\` nor a bare 5xx), and the database afterwards
passes \`integrity_check\` and \`foreign_key_check\` (SQLite; PostgreSQL checks its foreign
keys at every write) with the signed-in postmaster's accounts all valid. \`make test\` runs
the same targets with 256 inputs each, the server's on both databases.

| Target | Database | Inputs | Time | Slowest input | Most memory one input took | Result |
|---|---|---|---|---|---|---|
${results.map((r) => `| ${r.what} (\`${r.name}\`) | ${r.database ? (r.database === 'sqlite' ? 'SQLite' : 'PostgreSQL 15') : '—'} | ${r.inputs.toLocaleString('en')} | ${r.seconds.toFixed(0)} s | ${r.worst ? `${r.worst.ms.toLocaleString('en')} ms` : '—'} | ${r.worst ? `${r.worst.mib.toFixed(1)} MiB` : '—'} | ${r.ok ? 'no failure' : '**failed**'} |`).join('\n')}

Each input of the server function targets has a budget: 5 s of wall time, and a rise of
256 MiB in the test process's peak resident memory (VmHWM, set back before each input; the
router runs in that process), read from /proc. An input over either fails as that input, so
work that grows faster than its input fails instead of passing slowly. The budgets are wide
so that a loaded machine never fails an ordinary input; the table says how far below them the
inputs stayed. After each input, every row of the other domain and of its postmaster
(accounts, aliases, forwarding, catch-all, auto-replies, Activity, two-factor log-on,
sessions) must be as it was. The fuzzed postmaster's own two-factor log-on is reached with
right codes: an input may carry the code the app shows now, or one of the recovery codes
its last enrolment gave, and may come with a pending log-on's cookie instead of the session.
Each check was seen to fail before it was relied on: an input made to sleep 6 s, one made to
allocate 600 MiB, and one made to rewrite the other domain's alias each failed as that input.

The server functions take a few milliseconds a request through the in-process router, and
the other domain's rows are read after each, so they run 1/${HTTP_SHARE} of the count here
(\`FUZZ_HTTP_SHARE=1\` runs all of it). Log-on verifies an Argon2id hash per input (about 40 ms), so it runs a further
two-hundredth, from random client addresses; the same throttle and hashing paths are also
reached by the change of one's own password in the server function target.
${before ? `
#### The run before

${before.when} in all:

${before.table}
` : ''}`,
  RELIABILITY,
);
if (failed) process.exit(1);
