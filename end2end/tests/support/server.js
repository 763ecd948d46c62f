// Starts the real `vpostmaster` on a free loopback port with a fresh data directory, waits
// until it answers, and always stops it.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = process.env.VPM_BIN ?? resolve(import.meta.dirname, '../../../target/release/vpostmaster');
const START_TIMEOUT_MS = 30_000;

/** Runs an operator command against `dataDir`, returning its standard output. */
export function vpostmaster(dataDir, ...args) {
  return execFileSync(BIN, ['--data-dir', dataDir, ...args], { encoding: 'utf8' });
}

/** Creates the demo domain and postmaster; returns the postmaster's address and password. */
export function createDemoPostmaster(dataDir) {
  const out = vpostmaster(dataDir, 'demo');
  const password = /^Password: (.+)$/m.exec(out)?.[1];
  if (!password) throw new Error(`no password in: ${out}`);
  return { email: 'postmaster@example.test', password };
}

/**
 * Where the form of the page at `path` posts: a server function's address ends in a number
 * that each build chooses, so it is read from the page as a browser would.
 */
export async function formAction(url, path) {
  const page = await (await fetch(`${url}${path}`)).text();
  const action = /<form[^>]* action="([^"]+)"[^>]* method="post"/.exec(page)?.[1];
  if (!action) throw new Error(`no form that posts on ${path}`);
  return action;
}

/**
 * Starts a server. Returns { url, dataDir, stop }. `setup(dataDir)` runs first, on the fresh
 * data directory, for operator commands. `startTimeoutMs` allows for a start that first
 * creates many Maildirs.
 */
export async function startServer({ setup, args = [], startTimeoutMs = START_TIMEOUT_MS } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vpm-e2e-'));
  const context = setup ? setup(dataDir) : undefined;
  // Port 0: the kernel picks a free port; the server prints the address it got.
  const child = spawn(BIN, ['--data-dir', dataDir, 'serve', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await waitForUrl(child, () => output, startTimeoutMs);
    await waitUntilAnswering(url, startTimeoutMs);
    return { url, dataDir, context, stop, output: () => output, pid: child.pid };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForUrl(child, output, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(output());
    if (match) return match[1];
    if (child.exitCode !== null) throw new Error(`vpostmaster exited: ${output()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`vpostmaster did not start: ${output()}`);
}

async function waitUntilAnswering(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/log-on`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${url} did not answer`);
}
