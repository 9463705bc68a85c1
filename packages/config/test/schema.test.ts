import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { closest, editDistance, KNOWN_NAMES, SCHEMAS, TOOLING_VARIABLES } from '../src/index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the schemas', () => {
  test('within an app, keys and variables are unique; across apps a variable is always the same key', () => {
    const keyOfVariable = new Map<string, string>();
    for (const s of SCHEMAS) {
      const ks = Object.values(s.keys);
      expect(new Set(ks.map((k) => k.key)).size, s.app).toBe(ks.length);
      expect(new Set(ks.map((k) => k.variable)).size, s.app).toBe(ks.length);
      for (const k of ks) {
        expect(k.key).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(k.description.length, k.key).toBeGreaterThan(5);
        const seen = keyOfVariable.get(k.variable);
        if (seen !== undefined) expect(k.key, k.variable).toBe(seen);
        keyOfVariable.set(k.variable, k.key);
      }
    }
    for (const v of Object.keys(TOOLING_VARIABLES)) expect(keyOfVariable.has(v), v).toBe(false);
  });

  // The deployment files, scripts and harnesses pass RIPPLE_* variables to the
  // apps: each must be a key of some app or a tooling variable, or the app
  // would refuse to start.
  test('every RIPPLE_* variable the repository sets or reads is known', () => {
    const known = new Set([...KNOWN_NAMES.map((n) => n.variable), ...Object.keys(TOOLING_VARIABLES)]);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name === 'dist' || name.startsWith('.run')) continue;
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|mjs|cjs|js|sh|ya?ml|json|md)$|^run$|Dockerfile$/.test(name)) files.push(p);
      }
    };
    for (const d of ['k8s', 'infra', 'scripts', 'tests', '.ci', 'apps', 'bench']) walk(join(root, d));
    files.push(join(root, 'compose.yaml'), join(root, 'package.json'));
    const unknown = new Set<string>();
    for (const f of files) {
      // test files misspell on purpose (the root README's example too: it is not scanned)
      if (/\.test\.ts$/.test(f)) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/\bRIPPLE_[A-Z0-9_]*[A-Z0-9]\b/g))
        if (!known.has(m[0])) unknown.add(`${m[0]} in ${f.slice(root.length)}`);
    }
    expect([...unknown]).toEqual([]);
  });
});

describe('closest', () => {
  test('edit distance and the nearest candidate', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('RIPPLE_WORKR_ID', ['RIPPLE_WORKER_ID', 'RIPPLE_HOST'])).toBe('RIPPLE_WORKER_ID');
  });
});
