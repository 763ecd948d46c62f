// Writes a benchmark's section into docs/benchmarks.md (or another page of docs/), between
// markers named after it, replacing the figures of an earlier run.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';

const FILE = resolve(import.meta.dirname, '../../docs/benchmarks.md');
/** The page of the reliability suite's figures. */
export const RELIABILITY = resolve(import.meta.dirname, '../../docs/reliability.md');

export function writeSection(name, markdown, file = FILE) {
  const begin = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
  console.log(markdown);
}

/** Percentile `p` (0–100) of sorted milliseconds. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  return { p50: fmt(percentile(sorted, 50)), p99: fmt(percentile(sorted, 99)), n: sorted.length };
}
