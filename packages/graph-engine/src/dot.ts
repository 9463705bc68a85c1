/** Graphviz DOT export of a graph (`Graph.toDot()`): nodes in id order, so the text is deterministic. */
import { childAt, childCount, type GNode, KIND_LEAF, KIND_NAMES } from './node.ts';

/** Graphviz DOT of the whole graph, in node-id order (deterministic). */
export function toDot(nodes: ReadonlyArray<GNode | null>, title: string): string {
  const lines = [`digraph ${JSON.stringify(title)} {`, '  rankdir=LR;'];
  for (const n of nodes) {
    if (n === null) continue;
    const kind = KIND_NAMES[n.kind] ?? 'node';
    const label = `${n.name ?? `#${n.id}`}\\n${kind} h=${n.height}`;
    const shape = n.kind === KIND_LEAF ? 'box' : n.ext?.observers ? 'doubleoctagon' : 'ellipse';
    lines.push(`  n${n.id} [label=${JSON.stringify(label).replaceAll('\\\\n', '\\n')}, shape=${shape}];`);
  }
  for (const n of nodes) {
    if (n === null) continue;
    const count = childCount(n);
    for (let i = 0; i < count; i++) lines.push(`  n${n.id} -> n${childAt(n, i).id};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
