// Dirty-queue structures for stabilization, compared on the shapes a
// stabilization produces (see docs/decisions/0001-dirty-queue-and-node-storage.md).
//
//   pnpm bench queue [--json]
//
// - bucket: one intrusive singly linked list per height (what the engine uses):
//   push O(1), pop O(1) plus a scan over heights (graphs are shallow).
// - heap: a binary min-heap keyed on (height, id), as the original engine uses.
// Workloads: "chain" pushes and pops one node per height 0..3 (one trade through
// leaf -> map -> fold -> output); "fanout" pushes 1,000 nodes at height 1 and
// 1,000 at height 2 (a clock leaf feeding every window).
import { machine, median, printResult } from './_util.ts';

class QNode {
  id: number;
  height: number;
  next: QNode | null = null;
  constructor(id: number, height: number) {
    this.id = id;
    this.height = height;
  }
}

interface Queue {
  push(n: QNode): void;
  /** Pops in non-decreasing height; null when empty. */
  pop(): QNode | null;
}

class BucketQueue implements Queue {
  private buckets: Array<QNode | null> = [];
  private min = Number.POSITIVE_INFINITY;
  private max = -1;
  push(n: QNode): void {
    const h = n.height;
    while (this.buckets.length <= h) this.buckets.push(null);
    n.next = this.buckets[h] ?? null;
    this.buckets[h] = n;
    if (h < this.min) this.min = h;
    if (h > this.max) this.max = h;
  }
  pop(): QNode | null {
    for (let h = this.min; h <= this.max; h++) {
      const n = this.buckets[h] ?? null;
      if (n !== null) {
        this.buckets[h] = n.next;
        n.next = null;
        this.min = h;
        return n;
      }
    }
    this.min = Number.POSITIVE_INFINITY;
    this.max = -1;
    return null;
  }
}

class HeapQueue implements Queue {
  private heap: QNode[] = [];
  private less(a: QNode, b: QNode): boolean {
    return a.height < b.height || (a.height === b.height && a.id < b.id);
  }
  push(n: QNode): void {
    const h = this.heap;
    let i = h.length;
    h.push(n);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pn = h[p] as QNode;
      if (!this.less(n, pn)) break;
      h[i] = pn;
      i = p;
    }
    h[i] = n;
  }
  pop(): QNode | null {
    const h = this.heap;
    if (h.length === 0) return null;
    const top = h[0] as QNode;
    const last = h.pop() as QNode;
    const size = h.length;
    if (size > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && this.less(h[r] as QNode, h[l] as QNode) ? r : l;
        if (!this.less(h[c] as QNode, last)) break;
        h[i] = h[c] as QNode;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function workload(q: Queue, nodes: QNode[]): number {
  for (let i = 0; i < nodes.length; i++) q.push(nodes[i] as QNode);
  let popped = 0;
  let lastH = -1;
  for (let n = q.pop(); n !== null; n = q.pop()) {
    if (n.height < lastH) throw new Error('out of order');
    lastH = n.height;
    popped++;
  }
  return popped;
}

function timeIt(make: () => Queue, nodes: QNode[], rounds: number): number {
  const q = make();
  for (let i = 0; i < rounds; i++) workload(q, nodes); // warm-up
  const samples: number[] = [];
  for (let s = 0; s < 30; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) workload(q, nodes);
    samples.push(Number(process.hrtime.bigint() - t0) / rounds);
  }
  return median(samples);
}

function main(): void {
  const json = process.argv.includes('--json');
  const chain = [0, 1, 2, 3].map((h) => new QNode(h, h));
  const fanout: QNode[] = [];
  for (let i = 0; i < 1000; i++) fanout.push(new QNode(i, 1), new QNode(1000 + i, 2));
  // Heap input order matters; interleave heights as a propagation would.
  const out = {
    suite: 'queue',
    chain_ns: {
      bucket: Math.round(timeIt(() => new BucketQueue(), chain, 100_000)),
      heap: Math.round(timeIt(() => new HeapQueue(), chain, 100_000)),
    },
    fanout_2000_ns: {
      bucket: Math.round(timeIt(() => new BucketQueue(), fanout, 200)),
      heap: Math.round(timeIt(() => new HeapQueue(), fanout, 200)),
    },
    machine: machine(),
  };
  if (!json) {
    console.log(
      `chain (4 nodes, heights 0..3): bucket ${out.chain_ns.bucket} ns, heap ${out.chain_ns.heap} ns`,
    );
    console.log(
      `fan-out (2,000 nodes): bucket ${out.fanout_2000_ns.bucket} ns, heap ${out.fanout_2000_ns.heap} ns`,
    );
  }
  printResult(out, json);
}

main();
