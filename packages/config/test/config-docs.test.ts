import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { renderConfigDocs, SCHEMAS } from '../src/index.ts';

describe('docs/config.md', () => {
  test('is the committed rendering of the schema (run `pnpm config:docs` after changing a key)', () => {
    const committed = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigDocs());
  });

  test('lists every key of every app', () => {
    const text = renderConfigDocs();
    for (const s of SCHEMAS)
      for (const k of Object.values(s.keys)) expect(text).toContain(`| ${k.key} | ${k.variable} |`);
  });
});
