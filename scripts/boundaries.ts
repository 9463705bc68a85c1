// The import boundaries of the monorepo, checked by `pnpm lint` (after biome).
//
// Rules (docs/architecture.md explains why):
// 1. A file imports another workspace package only through its public entry
//    (`@ripple/<name>`): no relative path into another package's folder (its
//    src/ internals or its test/ files), no subpath (`@ripple/x/src/...`).
// 2. Apps never import apps; packages never import apps.
// 3. A package imports only the workspace packages its package.json declares.
// 4. The "never" pairs of scripts/boundaries.json (the house's forbidden
//    arrows, e.g. graph-engine -> stream) hold, also through declared
//    dependencies (protocol may not reach graph-engine through a third package).
// bench/, tests/ and scripts/ belong to the root package: they too reach
// packages and apps only through public entries (or @ripple/test-support).
//
// `node scripts/boundaries.ts [ROOT]` prints one line per violation and exits 1
// if there is any. Exceptions in boundaries.json name file, import and reason;
// an exception that no longer matches anything is itself an error, so the list
// only shrinks.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NeverRule {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

export interface Exception {
  readonly file: string;
  readonly import: string;
  readonly why: string;
}

export interface BoundaryRules {
  readonly never: readonly NeverRule[];
  readonly exceptions: readonly Exception[];
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly rule:
    | 'cross-package-path'
    | 'deep-import'
    | 'app-import'
    | 'undeclared'
    | 'never'
    | 'stale-exception';
  readonly message: string;
}

interface Workspace {
  readonly name: string;
  /** Folder relative to the root, with a trailing slash (e.g. `packages/stream/`). */
  readonly dir: string;
  readonly kind: 'package' | 'app' | 'root';
  readonly deps: ReadonlySet<string>;
}

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'dist', '.turbo', 'coverage', '.cache', '.run', '.git']);
/** import/export ... from 'x', import 'x', import('x'), export * from 'x'. */
const IMPORT =
  /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function depsOf(pkg: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const k of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const d = pkg[k];
    if (d !== null && typeof d === 'object') for (const n of Object.keys(d)) out.add(n);
  }
  return out;
}

function workspaces(root: string): Workspace[] {
  const out: Workspace[] = [];
  for (const [group, kind] of [
    ['packages', 'package'],
    ['apps', 'app'],
  ] as const) {
    const g = join(root, group);
    if (!existsSync(g)) continue;
    for (const d of readdirSync(g, { withFileTypes: true })) {
      const pj = join(g, d.name, 'package.json');
      if (!d.isDirectory() || !existsSync(pj)) continue;
      const pkg = readJson(pj);
      out.push({ name: String(pkg.name), dir: `${group}/${d.name}/`, kind, deps: depsOf(pkg) });
    }
  }
  const rootPkg = readJson(join(root, 'package.json'));
  out.push({ name: String(rootPkg.name ?? '(root)'), dir: '', kind: 'root', deps: depsOf(rootPkg) });
  return out;
}

function sourceFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(d.name) || d.name.startsWith('.')) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) sourceFiles(root, p, out);
    else if (SOURCE.test(d.name) && !d.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Text with comments blanked (line numbers kept), so commented-out imports are not read. */
function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (_m, pre: string) => pre);
}

export function importsOf(text: string): Array<{ specifier: string; line: number }> {
  const clean = stripComments(text);
  const out: Array<{ specifier: string; line: number }> = [];
  for (const m of clean.matchAll(IMPORT)) {
    const specifier = m[1] ?? m[2];
    if (specifier === undefined) continue;
    const line = clean.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
    out.push({ specifier, line });
  }
  return out;
}

/** Names reachable from `name` through declared workspace dependencies (excluding itself). */
function closure(name: string, byName: Map<string, Workspace>): Set<string> {
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length > 0) {
    const w = byName.get(stack.pop() as string);
    if (w === undefined) continue;
    for (const d of w.deps) {
      if (byName.has(d) && !seen.has(d) && d !== name) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  return seen;
}

export function checkBoundaries(root: string, rules: BoundaryRules): Violation[] {
  const ws = workspaces(root);
  const byName = new Map(ws.filter((w) => w.kind !== 'root').map((w) => [w.name, w]));
  const owner = (rel: string): Workspace =>
    ws.find((w) => w.kind !== 'root' && rel.startsWith(w.dir)) ?? (ws.at(-1) as Workspace);
  const raw: Violation[] = [];
  const v = (file: string, line: number, specifier: string, rule: Violation['rule'], message: string) =>
    raw.push({ file, line, specifier, rule, message });

  for (const abs of sourceFiles(root)) {
    const file = relative(root, abs).split(sep).join('/');
    const from = owner(file);
    for (const { specifier, line } of importsOf(readFileSync(abs, 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(dirname(abs), specifier))
          .split(sep)
          .join('/');
        const to = owner(target);
        if (to !== from && to.kind !== 'root') {
          const part = target.slice(to.dir.length).split('/')[0];
          v(
            file,
            line,
            specifier,
            'cross-package-path',
            `reaches into ${to.dir}${part}/ of ${to.name}: import its public entry '${to.name}'${part === 'test' ? ' or @ripple/test-support' : ''}`,
          );
        }
        continue;
      }
      const m = /^(@ripple\/[^/]+)(\/.*)?$/.exec(specifier);
      if (m === null) continue;
      const name = m[1] as string;
      const to = byName.get(name);
      if (m[2] !== undefined) v(file, line, specifier, 'deep-import', `deep import: use '${name}' only`);
      if (to === undefined) continue;
      if (to === from) continue;
      if (to.kind === 'app' && from.kind !== 'root')
        v(file, line, specifier, 'app-import', `${from.kind}s never import apps (${from.name} -> ${name})`);
      if (!from.deps.has(name))
        v(file, line, specifier, 'undeclared', `${name} is not a dependency in ${from.dir}package.json`);
      for (const r of rules.never)
        if (r.from === from.name && r.to === name)
          v(file, line, specifier, 'never', `${r.from} must never import ${r.to}: ${r.why}`);
    }
  }
  // Forbidden pairs through declared dependencies (package.json), not only direct imports.
  for (const r of rules.never) {
    const w = byName.get(r.from);
    if (w === undefined || !closure(r.from, byName).has(r.to)) continue;
    v(
      `${w.dir}package.json`,
      1,
      r.to,
      'never',
      `${r.from} depends (maybe transitively) on ${r.to}: ${r.why}`,
    );
  }

  const used = new Set<Exception>();
  const out = raw.filter((x) => {
    const e = rules.exceptions.find((e) => e.file === x.file && e.import === x.specifier);
    if (e === undefined) return true;
    used.add(e);
    return false;
  });
  for (const e of rules.exceptions)
    if (!used.has(e))
      out.push({
        file: e.file,
        line: 1,
        specifier: e.import,
        rule: 'stale-exception',
        message: 'this exception in scripts/boundaries.json matches nothing any more: remove it',
      });
  return out;
}

export function loadRules(file: string): BoundaryRules {
  const j = readJson(file) as { never?: NeverRule[]; exceptions?: Exception[] };
  return { never: j.never ?? [], exceptions: j.exceptions ?? [] };
}

if (import.meta.main) {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(process.argv[2] ?? join(here, '..'));
  if (!statSync(root).isDirectory()) process.exit(2);
  const found = checkBoundaries(root, loadRules(join(here, 'boundaries.json')));
  for (const x of found) console.error(`${x.file}:${x.line}: ${x.rule}: '${x.specifier}': ${x.message}`);
  if (found.length > 0) {
    console.error(`boundaries: ${found.length} violation(s)`);
    process.exit(1);
  }
  console.log('boundaries: ok');
}
