import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's "how a trade flows" and the contributor docs name files by path: a file that moves
// must take its docs along. Every `apps/...`, `packages/...`, `bench/...`, `scripts/...`, `docs/...`
// path quoted in backticks or linked in these documents must exist.
const root = join(import.meta.dirname, '..', '..');
const docs = ['README.md', 'CONTRIBUTING.md', 'docs/architecture.md'];
const PATH = /(?:`|\]\()(?:\.\.\/)?((?:apps|packages|bench|scripts|docs|tests)\/[\w./-]*[\w/])(?:`|\))/g;

function pathsIn(doc: string): string[] {
  const text = readFileSync(join(root, doc), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(PATH)) {
    const p = (m[1] as string).replace(/\/$/, '');
    if (p.includes('<') || p.includes('*')) continue;
    out.add(doc.startsWith('docs/') && m[0].startsWith('](') && !m[0].startsWith('](../') ? `docs/${p}` : p);
  }
  return [...out];
}

describe('paths named in the docs exist', () => {
  it.each(docs)('%s', (doc) => {
    const paths = pathsIn(doc);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });
});
