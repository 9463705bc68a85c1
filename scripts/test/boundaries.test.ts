import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BoundaryRules, checkBoundaries, importsOf } from '../boundaries.ts';

const rules: BoundaryRules = {
  never: [{ from: '@ripple/graph-engine', to: '@ripple/stream', why: 'the graph knows no streams' }],
  exceptions: [],
};

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A small monorepo: two packages, two apps, bench/; `files` adds or overrides files. */
function repo(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'ripple-boundaries-'));
  dirs.push(root);
  const pkg = (name: string, deps: string[] = []) =>
    JSON.stringify({ name, dependencies: Object.fromEntries(deps.map((d) => [d, 'workspace:*'])) });
  const base: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'root', devDependencies: { '@ripple/stream': 'workspace:*' } }),
    'packages/graph-engine/package.json': pkg('@ripple/graph-engine'),
    'packages/graph-engine/src/index.ts': 'export const g = 1;\n',
    'packages/stream/package.json': pkg('@ripple/stream', ['@ripple/graph-engine']),
    'packages/stream/src/index.ts': "import { g } from '@ripple/graph-engine';\nexport const s = g;\n",
    'packages/stream/test/helper.ts': 'export const h = 1;\n',
    'apps/worker/package.json': pkg('@ripple/worker', ['@ripple/stream']),
    'apps/worker/src/main.ts': "import { s } from '@ripple/stream';\nimport { x } from './x.ts';\n",
    'apps/worker/src/x.ts': 'export const x = 1;\n',
    'apps/cli/package.json': pkg('@ripple/cli', ['@ripple/stream']),
    'apps/cli/src/main.ts': "// import { w } from '../../worker/src/main.ts';\nexport {};\n",
    'bench/b.ts': "import { s } from '@ripple/stream';\n",
    ...files,
  };
  for (const [f, text] of Object.entries(base)) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

describe('boundary checker', () => {
  it('passes a clean tree (public entries, own relative files, commented-out imports ignored)', () => {
    expect(checkBoundaries(repo(), rules)).toEqual([]);
  });

  it('fails on a planted relative import into another package’s src/ and test/', () => {
    const found = checkBoundaries(
      repo({
        'bench/b.ts':
          "import { x } from '../apps/worker/src/x.ts';\nimport { h } from '../packages/stream/test/helper.ts';\n",
      }),
      rules,
    );
    expect(found.map((v) => [v.file, v.line, v.rule])).toEqual([
      ['bench/b.ts', 1, 'cross-package-path'],
      ['bench/b.ts', 2, 'cross-package-path'],
    ]);
    expect(found[1]?.message).toMatch(/test-support/);
  });

  it('fails on an app importing an app, a deep import and an undeclared dependency', () => {
    const found = checkBoundaries(
      repo({
        'apps/cli/src/main.ts':
          "import { x } from '@ripple/worker';\nexport { s } from '@ripple/stream/src/index.ts';\n",
        'packages/graph-engine/src/index.ts': "export { h } from '../../stream/test/helper.ts';\n",
      }),
      rules,
    );
    const rulesHit = found.map((v) => `${v.file}:${v.rule}`).sort();
    expect(rulesHit).toEqual([
      'apps/cli/src/main.ts:app-import',
      'apps/cli/src/main.ts:deep-import',
      'apps/cli/src/main.ts:undeclared',
      'packages/graph-engine/src/index.ts:cross-package-path',
    ]);
  });

  it('fails on a forbidden pair, imported directly or declared as a dependency', () => {
    const found = checkBoundaries(
      repo({
        'packages/graph-engine/package.json': JSON.stringify({
          name: '@ripple/graph-engine',
          dependencies: { '@ripple/stream': 'workspace:*' },
        }),
        'packages/graph-engine/src/index.ts': "import { s } from '@ripple/stream';\nexport const g = s;\n",
      }),
      rules,
    );
    expect(found.filter((v) => v.rule === 'never').map((v) => v.file)).toEqual([
      'packages/graph-engine/src/index.ts',
      'packages/graph-engine/package.json',
    ]);
    expect(found[0]?.message).toMatch(/the graph knows no streams/);
  });

  it('an exception silences exactly its import; a stale one is an error', () => {
    const root = repo({ 'bench/b.ts': "import { x } from '../apps/worker/src/x.ts';\n" });
    const ex = { file: 'bench/b.ts', import: '../apps/worker/src/x.ts', why: 'test' };
    expect(checkBoundaries(root, { ...rules, exceptions: [ex] })).toEqual([]);
    const stale = { file: 'bench/b.ts', import: '../apps/worker/src/gone.ts', why: 'test' };
    expect(checkBoundaries(root, { ...rules, exceptions: [ex, stale] }).map((v) => v.rule)).toEqual([
      'stale-exception',
    ]);
  });

  it('reads multi-line, type-only, side-effect and dynamic imports with their line numbers', () => {
    const text =
      "import {\n  a,\n  type B,\n} from '@ripple/x';\nimport type { C } from \"./c.ts\";\nimport 'side';\nconst m = await import('dyn');\nexport * from '../up.ts';\n";
    expect(importsOf(text)).toEqual([
      { specifier: '@ripple/x', line: 1 },
      { specifier: './c.ts', line: 5 },
      { specifier: 'side', line: 6 },
      { specifier: 'dyn', line: 7 },
      { specifier: '../up.ts', line: 8 },
    ]);
  });
});
