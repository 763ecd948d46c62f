// The fuzz targets in release mode, FUZZ_CASES (1,000,000) inputs each unless a target's
// share says it costs more per input (the share mirrors the `fuzz::cases(share)` of its test),
// two at a time. The server functions take about 2 ms a request through the router, so they
// run a quarter of the count (FUZZ_HTTP_SHARE=1 runs all of it, about 30 minutes alone).
// Prints and writes the figures to docs/reliability.md; fails if a target fails.
import { execFile, execFileSync } from 'node:child_process';
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
  ['server', 'fuzz_http', 'fuzz_server_functions_and_pages', 1, 'Every server function and page, signed in, through the router', HTTP_SHARE],
  ['server', 'fuzz_http', 'fuzz_log_on_and_log_off', 200, 'Log-on and log-off (one Argon2id verification per input)', HTTP_SHARE],
];

const run = promisify(execFile);

for (const pkg of ['app', 'server']) {
  const tests = [...new Set(TARGETS.filter((t) => t[0] === pkg).map((t) => t[1]))];
  execFileSync('cargo', ['test', '--release', '-p', pkg, ...tests.flatMap((t) => ['--test', t]), '--no-run'], { cwd: ROOT, stdio: 'inherit' });
}

const results = [];
async function worker(queue) {
  for (let target = queue.shift(); target; target = queue.shift()) {
    const [pkg, test, name, share, what, runShare = 1] = target;
    const cases = Math.floor(CASES / runShare);
    const env = { ...process.env, VPM_FUZZ_CASES: String(cases) };
    const started = Date.now();
    let ok = true;
    try {
      await run('cargo', ['test', '--quiet', '--release', '-p', pkg, '--test', test, '--', '--exact', name], { cwd: ROOT, env, maxBuffer: 16 << 20 });
    } catch (error) {
      ok = false;
      console.error(`${name} failed:\n${error.stdout}\n${error.stderr}`);
    }
    const seconds = (Date.now() - started) / 1000;
    const inputs = Math.max(1, Math.floor(cases / share));
    console.log(`${name}: ${inputs} inputs, ${seconds.toFixed(0)} s, ${ok ? 'ok' : 'FAILED'}`);
    results.push({ name, what, inputs, seconds, ok });
  }
}
const queue = [...TARGETS];
const started = Date.now();
await Promise.all([worker(queue), worker(queue)]);
const total = (Date.now() - started) / 60000;
results.sort((a, b) => TARGETS.findIndex((t) => t[2] === a.name) - TARGETS.findIndex((t) => t[2] === b.name));

const rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim();
const failed = results.some((r) => !r.ok);
writeSection(
  'fuzz',
  `
### Fuzzing

\`make reliability-fuzz\` (end2end/bench/fuzz.mjs), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, on
${cpus().length} cores (1-minute load average ${STARTING_LOAD} when it began), ${rustc} (stable: no cargo-fuzz, so long proptest runs
of generated, near-valid and oversized inputs), release mode, two targets at a time, ${total.toFixed(1)} min in all.
A target passes when no input panics, every answer over HTTP is a page, a redirect, a 4xx or
a server function's refusal (never \`Internal\` nor a bare 5xx), and the database afterwards
passes \`integrity_check\` and \`foreign_key_check\` with accounts only in the signed-in
postmaster's domain, all valid. \`make test\` runs the same targets with 256 inputs each.

| Target | Inputs | Time | Result |
|---|---|---|---|
${results.map((r) => `| ${r.what} (\`${r.name}\`) | ${r.inputs.toLocaleString('en')} | ${r.seconds.toFixed(0)} s | ${r.ok ? 'no failure' : '**failed**'} |`).join('\n')}

The server functions take about 2 ms a request through the in-process router, so they run
1/${HTTP_SHARE} of the count here (\`FUZZ_HTTP_SHARE=1\` runs all of it, about 30 minutes
alone). Log-on verifies an Argon2id hash per input (about 40 ms), so it runs a further
two-hundredth, from random client addresses; the same throttle and hashing paths are also
reached by the change of one's own password in the server function target.
`,
  RELIABILITY,
);
if (failed) process.exit(1);
