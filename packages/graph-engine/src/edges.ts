/** Edges between nodes: linking an input to a dependent, and reading a node's inputs. */
import { addChild, type GNode, indexOfChild, removeChildAt } from './node.ts';

type Node = GNode;

export const link = addChild;

export function unlink(parent: Node, child: Node, slot: number): void {
  const i = indexOfChild(parent, child, slot);
  if (i >= 0) removeChildAt(parent, i);
}

export function inputsOf(n: Node): Node[] {
  if (n.parents !== null) return n.parents;
  const r: Node[] = [];
  if (n.p0 !== null) r.push(n.p0);
  if (n.p1 !== null) r.push(n.p1);
  return r;
}

export function maxHeight(ps: readonly Node[]): number {
  let h = -1;
  for (const p of ps) if (p.height > h) h = p.height;
  return h;
}
