// `pnpm config:docs`: writes docs/config.md from the apps' config schema
// (@ripple/config). `--check` exits 1 when the committed file differs (the
// unit test packages/config/test/config-docs.test.ts checks the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '@ripple/config';

const path = fileURLToPath(new URL('../docs/config.md', import.meta.url));
const text = renderConfigDocs();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current !== text) {
    process.stderr.write('docs/config.md differs from the schema: run pnpm config:docs\n');
    process.exit(1);
  }
} else {
  writeFileSync(path, text);
  process.stdout.write(`wrote ${path}\n`);
}
