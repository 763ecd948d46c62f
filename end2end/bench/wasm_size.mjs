// The size of the browser bundle as users download it: the release WASM after wasm-opt, raw
// and compressed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { writeSection } from './report.js';

const PKG = resolve(import.meta.dirname, '../../target/site/pkg');
const kb = (bytes) => `${bytes.toLocaleString('en')} B (${(bytes / 1024).toFixed(0)} KiB)`;
const rows = ['vpostmaster.wasm', 'vpostmaster.js', 'vpostmaster.css'].map((name) => {
  const raw = readFileSync(resolve(PKG, name));
  const brotli = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return `| ${name} | ${kb(raw.length)} | ${kb(gzipSync(raw, { level: 9 }).length)} | ${kb(brotli)} |`;
});

writeSection('wasm-size', `## Browser bundle size

\`make bench\` (end2end/bench/wasm_size.mjs): the files of \`make build\` (release profile
\`wasm-release\`: opt-level "z", fat LTO, one codegen unit, panic=abort; then wasm-opt -Oz).
Only the interactive islands of the pages are in it (Leptos islands: the paste box and its
report, the password fields with their checklist, generator and Show toggle); the rest of each
page is server-rendered HTML. Leptos's view types are erased (\`--cfg erase_components\`).
\`make build\` also writes the brotli and gzip files, which the server sends to browsers that
accept them. Target: the WASM at most 250 KB (250,000 B) with brotli.

| file | raw | gzip -9 | brotli 11 |
| --- | --- | --- | --- |
${rows.join('\n')}`);
