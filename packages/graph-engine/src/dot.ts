/**
 * Graphviz DOT export of a graph (`Graph.toDot()`, `Graph.dot()`): nodes in
 * id order, so the text is deterministic. A big graph can be capped: the
 * first `maxNodes` nodes (by id) are drawn one by one, every other node is
 * folded into one aggregate node per (kind, height) labelled with its count,
 * and edges between aggregates are drawn once.
 */
import { childAt, childCount, type GNode, KIND_LEAF, KIND_NAMES } from './node.ts';

/** A DOT text with the counts of what it describes. */
export interface DotExport {
  readonly dot: string;
  /** live nodes of the graph */
  readonly nodes: number;
  /** edges of the graph (parent -> child) */
  readonly edges: number;
  /** nodes drawn one by one (the rest are aggregated) */
  readonly shownNodes: number;
}

/** Graphviz DOT of the whole graph, in node-id order (deterministic). */
export function toDot(nodes: ReadonlyArray<GNode | null>, title: string): string {
  return dotOf(nodes, title, Number.POSITIVE_INFINITY).dot;
}

/** DOT of at most `maxNodes` nodes drawn individually, the others aggregated by kind and height. */
export function dotOf(nodes: ReadonlyArray<GNode | null>, title: string, maxNodes: number): DotExport {
  const lines = [`digraph ${JSON.stringify(title)} {`, '  rankdir=LR;'];
  const groups = new Map<string, { kind: string; height: number; count: number; leaf: boolean }>();
  const nameOf = (n: GNode, drawn: boolean): string => {
    if (drawn) return `n${n.id}`;
    return `g_${KIND_NAMES[n.kind] ?? 'node'}_${n.height}`;
  };
  let live = 0;
  let shown = 0;
  const drawn = new Set<number>();
  for (const n of nodes) {
    if (n === null) continue;
    live++;
    const kind = KIND_NAMES[n.kind] ?? 'node';
    if (shown < maxNodes) {
      shown++;
      drawn.add(n.id);
      const label = `${n.name ?? `#${n.id}`}\\n${kind} h=${n.height}`;
      const shape = n.kind === KIND_LEAF ? 'box' : n.observers !== null ? 'doubleoctagon' : 'ellipse';
      lines.push(`  n${n.id} [label=${JSON.stringify(label).replaceAll('\\\\n', '\\n')}, shape=${shape}];`);
    } else {
      const key = nameOf(n, false);
      const g = groups.get(key);
      if (g === undefined) groups.set(key, { kind, height: n.height, count: 1, leaf: n.kind === KIND_LEAF });
      else g.count++;
    }
  }
  for (const [key, g] of groups) {
    const label = `${g.count} more\\n${g.kind} h=${g.height}`;
    lines.push(
      `  ${key} [label=${JSON.stringify(label).replaceAll('\\\\n', '\\n')}, shape=${g.leaf ? 'box3d' : 'component'}, style=dashed];`,
    );
  }
  let edges = 0;
  const aggregated = new Set<string>();
  for (const n of nodes) {
    if (n === null) continue;
    const count = childCount(n);
    for (let i = 0; i < count; i++) {
      const c = childAt(n, i);
      edges++;
      const from = nameOf(n, drawn.has(n.id));
      const to = nameOf(c, drawn.has(c.id));
      const edge = `  ${from} -> ${to};`;
      if (drawn.has(n.id) && drawn.has(c.id)) lines.push(edge);
      else if (!aggregated.has(edge)) {
        aggregated.add(edge);
        lines.push(edge);
      }
    }
  }
  lines.push('}');
  return { dot: `${lines.join('\n')}\n`, nodes: live, edges, shownNodes: shown };
}
