// Load with wrk (Debian's, 4.1) against the server on loopback: its figures read from its
// report, for the benchmarks that measure pages under many clients.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** wrk's figures: latency percentiles, requests per second and every kind of error. */
export function figures(out) {
  const number = (pattern) => Number(pattern.exec(out)?.[1] ?? 0);
  const latency = (p) => /(\d+(?:\.\d+)?)(us|ms|s)\b/.exec(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const ms = (p) => {
    const m = latency(p);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: ms(50),
    p99: ms(99),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx3xx: number(/Non-2xx or 3xx responses: (\d+)/),
    refused: number(/Refused: (\d+)/),
    signedIn: number(/Signed in: (\d+)/),
  };
}

/** Runs wrk with 2 threads, `connections` kept open, for `seconds`; prints and reads its report. */
export async function wrk(args, { connections, seconds }) {
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '--latency', ...args], {
    maxBuffer: 1 << 20,
  });
  console.log(stdout);
  return figures(stdout);
}
