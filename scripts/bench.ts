// `pnpm bench <suite> [--json] [...]` runs bench/<suite>.ts. Benchmarks live
// apart from the tests and print one JSON object as their last line with --json.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [suite, ...rest] = process.argv.slice(2);
const suites = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (suite === undefined || !suites.includes(suite)) {
  console.error(`usage: pnpm bench <${suites.join('|')}> [--json]`);
  process.exit(2);
}
const file = join(root, 'bench', `${suite}.ts`);
if (!existsSync(file)) process.exit(2);
const r = spawnSync(
  process.execPath,
  ['--conditions=@ripple/source', '--expose-gc', '--max-semi-space-size=64', file, ...rest],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
