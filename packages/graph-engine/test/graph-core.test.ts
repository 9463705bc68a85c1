import { describe, expect, it } from 'vitest';
import { Graph, type Incr } from '../src/index.ts';
import { counted } from './helpers.ts';

describe('graph: stabilization', () => {
  it('computes new nodes at once and propagates a leaf change', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(2);
    const b = g.map(a, (x) => x * 10);
    const c = g.map2(a, b, (x, y) => x + y);
    expect([b.value, c.value]).toEqual([20, 22]);
    g.set(a, 3);
    expect(c.value).toBe(22); // not before stabilize
    expect(g.stabilize()).toBe(3);
    expect([a.value, b.value, c.value]).toEqual([3, 30, 33]);
  });

  it('recomputes each node of a diamond at most once per stabilization', () => {
    //      a
    //    /   \
    //   b     c
    //    \   /
    //      d
    const g = new Graph() /* debug off: its checks call user functions too */;
    const a = g.leaf(1);
    const fb = counted((x: number) => x + 1);
    const fc = counted((x: number) => x * 2);
    const fd = counted((x: number, y: number) => x + y);
    const b = g.map(a, fb);
    const c = g.map(a, fc);
    const d = g.map2(b, c, fd);
    const calls0 = [fb.calls, fc.calls, fd.calls];
    g.set(a, 5);
    expect(g.stabilize()).toBe(4);
    expect([fb.calls, fc.calls, fd.calls]).toEqual(calls0.map((n) => n + 1));
    expect(d.value).toBe(16);
  });

  it('a wide fan-in recomputes the fold once, however many inputs changed', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const leaves = Array.from({ length: 50 }, (_, i) => g.leaf(i));
    const f = counted((acc: number, v: number) => acc + v);
    const sum = g.fold(leaves, 0, f);
    f.calls = 0;
    for (const l of leaves.slice(0, 10)) g.set(l, l.value + 1);
    g.stabilize();
    expect(f.calls).toBe(50); // one full pass, not 10
    expect(sum.value).toBe((49 * 50) / 2 + 10);
  });

  it('cutoff: an unchanged value stops propagation', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const a = g.leaf(10);
    const parity = g.map(a, (x) => x % 2);
    const below = counted((p: number) => `parity ${p}`);
    const label = g.map(parity, below);
    const before = below.calls;
    g.set(a, 12);
    expect(g.stabilize()).toBe(2); // a and parity; label not recomputed
    expect(below.calls).toBe(before);
    expect(label.value).toBe('parity 0');
    expect(g.stats().cutoffs).toBe(1);
  });

  it('setting a leaf to an equal value is a cutoff at the leaf', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const a = g.leaf(1);
    const f = counted((x: number) => x);
    g.map(a, f);
    const before = f.calls;
    g.set(a, 1);
    expect(g.stabilize()).toBe(1);
    expect(f.calls).toBe(before);
  });

  it('custom equality controls cutoff', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const a = g.leaf({ v: 1, note: 'x' }, { equal: (p, q) => p.v === q.v });
    const f = counted((x: { v: number }) => x.v);
    g.map(a, f);
    const before = f.calls;
    g.set(a, { v: 1, note: 'changed but equal' });
    g.stabilize();
    expect(f.calls).toBe(before);
    g.set(a, { v: 2, note: 'y' });
    g.stabilize();
    expect(f.calls).toBe(before + 1);
  });

  it('the last set before stabilize wins', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(0);
    const b = g.map(a, (x) => x + 1);
    g.set(a, 1);
    g.set(a, 2);
    g.set(a, 3);
    g.stabilize();
    expect(b.value).toBe(4);
  });

  it('mapN passes a reused array of input values', () => {
    const g = new Graph({ debug: true });
    const ls = [g.leaf(1), g.leaf(2), g.leaf(3)];
    const seen: unknown[] = [];
    const m = g.mapN(ls, (vs) => {
      seen.push(vs);
      return vs.reduce((x, y) => x + y, 0);
    });
    g.set(ls[1]!, 20);
    g.stabilize();
    expect(m.value).toBe(24);
  });

  it('stabilize with nothing dirty is a no-op', () => {
    const g = new Graph({ debug: true });
    g.map(g.leaf(1), (x) => x);
    expect(g.stabilize()).toBe(0);
    expect(g.stats().stabilizations).toBe(1);
  });

  it('heights follow 1 + max input height', () => {
    const g = new Graph();
    const a = g.leaf(0);
    const b = g.map(a, (x) => x);
    const c = g.map(b, (x) => x);
    const d = g.map2(a, c, (x, y) => x + y);
    expect([a.height, b.height, c.height, d.height]).toEqual([0, 1, 2, 3]);
  });
});

describe('graph: observers', () => {
  it('receive old and new value of each changed observed node, after propagation', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(1);
    const b = g.map(a, (x) => x * 2);
    const c = g.map(b, (x) => x + 1);
    const events: Array<[string, number, number, number]> = [];
    g.observe(b, (o, n) => events.push(['b', o, n, c.value]));
    g.observe(c, (o, n) => events.push(['c', o, n, c.value]));
    g.set(a, 5);
    g.stabilize();
    // c.value is already 11 when b's observer runs: observers see a consistent graph.
    expect(events).toEqual([
      ['b', 2, 10, 11],
      ['c', 3, 11, 11],
    ]);
  });

  it('are not called on cutoff, and stop after dispose', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(1);
    const sign = g.map(a, Math.sign);
    const seen: number[] = [];
    const obs = g.observe(sign, (_o, n) => seen.push(n));
    g.set(a, 7);
    g.stabilize();
    g.set(a, -1);
    g.stabilize();
    obs.dispose();
    g.set(a, 3);
    g.stabilize();
    expect(seen).toEqual([-1]);
  });

  it('several on one node run in registration order; each dispose removes only its own', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(0);
    const seen: string[] = [];
    const step = (v: number) => {
      g.set(a, v);
      g.stabilize();
    };
    const first = g.observe(a, (_o, n) => seen.push(`1:${n}`));
    step(1);
    const second = g.observe(a, (_o, n) => seen.push(`2:${n}`));
    const third = g.observe(a, (_o, n) => seen.push(`3:${n}`));
    step(2);
    second.dispose();
    step(3);
    first.dispose();
    third.dispose();
    third.dispose(); // twice: no effect
    step(4);
    const again = g.observe(a, (o, n) => seen.push(`4:${o}>${n}`));
    step(5);
    again.dispose();
    first.dispose(); // a handle disposed earlier leaves the current observers alone
    step(6);
    expect(seen).toEqual(['1:1', '1:2', '2:2', '3:2', '1:3', '3:3', '4:4>5']);
  });

  it('a disposed single observer does not remove another one registered later', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(0);
    const seen: number[] = [];
    const old = g.observe(a, () => seen.push(-1));
    old.dispose();
    g.observe(a, (_o, n) => seen.push(n));
    old.dispose();
    g.set(a, 9);
    g.stabilize();
    expect(seen).toEqual([9]);
  });

  it('may set leaves (applied at the next stabilize) but not stabilize', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(0);
    const echo = g.leaf(0);
    let nested: unknown;
    g.observe(a, (_o, n) => {
      g.set(echo, n * 100);
      try {
        g.stabilize();
      } catch (e) {
        nested = e;
      }
    });
    g.set(a, 2);
    g.stabilize();
    expect((nested as { code: string }).code).toBe('GRAPH_REENTRANT');
    expect(echo.value).toBe(0);
    g.stabilize();
    expect(echo.value).toBe(200);
  });

  it('an observer that throws does not stop the others; stabilize reports it', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(0);
    const seen: number[] = [];
    g.observe(a, () => {
      throw new Error('boom');
    });
    g.observe(a, (_o, n) => seen.push(n));
    g.set(a, 1);
    expect(() => g.stabilize()).toThrowError(/observer of node/);
    expect(seen).toEqual([1]);
    expect(a.value).toBe(1);
  });
});

describe('graph: incrFold', () => {
  it('folds O(1) per changed input', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const leaves = Array.from({ length: 1000 }, (_, i) => g.leaf(i));
    const add = counted((acc: number, v: number) => acc + v);
    const remove = counted((acc: number, v: number) => acc - v);
    const total = g.incrFold(leaves, 0, add, remove);
    expect(total.value).toBe(499500);
    add.calls = 0;
    remove.calls = 0;
    g.set(leaves[7]!, 1007);
    g.set(leaves[900]!, 0);
    g.stabilize();
    expect(total.value).toBe(499500 + 1000 - 900);
    expect([add.calls, remove.calls]).toEqual([2, 2]);
  });

  it('uses the fused replace for changed inputs when given', () => {
    const g = new Graph();
    const xs = [g.leaf(1), g.leaf(2), g.leaf(3)];
    const add = counted((s: number, v: number) => s + v);
    const remove = counted((s: number, v: number) => s - v);
    const replace = counted((s: number, o: number, v: number) => s - o + v);
    const total = g.incrFold(xs, 0, add, remove, { replace });
    const fresh = g.leaf(100);
    g.addInput(total, fresh);
    add.calls = 0;
    g.set(xs[0]!, 10);
    g.stabilize();
    expect(total.value).toBe(115);
    expect([add.calls, remove.calls, replace.calls]).toEqual([1, 0, 1]); // fresh input added, xs[0] replaced
  });

  it('adds and removes inputs while live', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(1);
    const b = g.leaf(2);
    const total = g.incrFold(
      [a, b],
      0,
      (s, v: number) => s + v,
      (s, v) => s - v,
    );
    const c = g.leaf(10);
    const deep = g.map(
      g.map(c, (x) => x),
      (x) => x * 3,
    ); // height 2: raises the fold's height
    g.addInput(total, deep);
    expect(total.value).toBe(3); // applied at stabilize
    g.stabilize();
    expect(total.value).toBe(33);
    expect(total.height).toBe(3);
    g.set(c, 20);
    g.stabilize();
    expect(total.value).toBe(63);
    g.removeInput(total, a);
    g.stabilize();
    expect(total.value).toBe(62);
    // changing a removed input no longer affects the fold
    g.set(a, 1000);
    g.stabilize();
    expect(total.value).toBe(62);
  });

  it('a queued node whose height is raised is recomputed at its new height, once', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(1);
    const total = g.incrFold(
      [a],
      0,
      (s, v: number) => s + v,
      (s, v) => s - v,
    );
    const out = g.map(total, (t) => t * 10);
    g.set(a, 2); // queues a; total is queued at height 1 during propagation
    const b = g.leaf(5);
    const deep = g.map(
      g.map(b, (x) => x + 1),
      (x) => x + 1,
    ); // height 2
    g.addInput(total, deep); // total -> height 3, out -> height 4, while total is queued
    expect([total.height, out.height]).toEqual([3, 4]);
    g.stabilize();
    expect([total.value, out.value]).toEqual([9, 90]);
  });

  it('an input added and changed in the same stabilization is counted once', () => {
    const g = new Graph({ debug: true });
    const total = g.incrFold(
      [] as Incr<number>[],
      0,
      (s, v: number) => s + v,
      (s, v) => s - v,
    );
    const x = g.leaf(5);
    g.addInput(total, x);
    g.set(x, 7);
    g.stabilize();
    expect(total.value).toBe(7);
  });

  it('an input removed after it changed but before stabilize removes what was folded in', () => {
    const g = new Graph({ debug: true });
    const x = g.leaf(5);
    const y = g.leaf(1);
    const total = g.incrFold(
      [x, y],
      0,
      (s, v: number) => s + v,
      (s, v) => s - v,
    );
    g.set(x, 9);
    g.stabilize();
    g.set(x, 100); // pending, not yet folded
    g.removeInput(total, x);
    g.stabilize();
    expect(total.value).toBe(1);
  });

  it('refuses a cycle', () => {
    const g = new Graph();
    const a = g.leaf(0);
    const total = g.incrFold(
      [a],
      0,
      (s, v: number) => s + v,
      (s, v) => s - v,
    );
    const after = g.map(total, (x) => x + 1);
    expect(() => g.addInput(total, after)).toThrowError(expect.objectContaining({ code: 'GRAPH_CYCLE' }));
  });
});

describe('graph: dynamic nodes', () => {
  it('a symbol appears mid-stream and expires without leaking', () => {
    const g = new Graph({ debug: true });
    const total = g.incrFold(
      [] as Incr<number>[],
      0,
      (s, v: number) => s + v,
      (s, v) => s - v,
    );
    g.stabilize();
    for (let round = 0; round < 200; round++) {
      const leaf = g.leaf(round, { name: `SYM${round}` });
      const notional = g.map(leaf, (x) => x * 2);
      g.addInput(total, notional);
      g.stabilize();
      expect(total.value).toBe(round * 2);
      g.dispose(notional); // detaches from the fold
      g.dispose(leaf);
      g.stabilize();
      expect(total.value).toBe(0);
    }
    expect(g.stats().nodeCount).toBe(1);
    // ids are reused: the node table does not grow with churn
    const leaf = g.leaf(0);
    expect(leaf.id).toBeLessThan(5);
  });

  it('refuses to dispose a node that others depend on, and refuses use after dispose', () => {
    const g = new Graph();
    const a = g.leaf(1);
    const b = g.map(a, (x) => x);
    expect(() => g.dispose(a)).toThrowError(expect.objectContaining({ code: 'GRAPH_NODE_HAS_DEPENDENTS' }));
    g.dispose(b);
    g.dispose(a);
    expect(() => g.set(a, 2)).toThrowError(expect.objectContaining({ code: 'GRAPH_NODE_DISPOSED' }));
    expect(() => g.map(a, (x) => x)).toThrowError(expect.objectContaining({ code: 'GRAPH_NODE_DISPOSED' }));
    expect(g.stats().nodeCount).toBe(0);
  });

  it('a node disposed while dirty is skipped', () => {
    const g = new Graph({ debug: true });
    const a = g.leaf(1);
    g.set(a, 2);
    g.dispose(a);
    expect(g.stabilize()).toBe(0);
    expect(g.stats().dirtyCount).toBe(0);
  });

  it('leaf names must be unique and are freed by dispose', () => {
    const g = new Graph();
    const a = g.leaf(1, { name: 'x' });
    expect(() => g.leaf(2, { name: 'x' })).toThrowError(
      expect.objectContaining({ code: 'GRAPH_DUPLICATE_NAME' }),
    );
    g.dispose(a);
    expect(g.leaf(3, { name: 'x' }).value).toBe(3);
  });
});

describe('graph: introspection', () => {
  it('counts stabilizations, recomputes, cutoffs, nodes, dirty', () => {
    const g = new Graph();
    const a = g.leaf(1);
    g.map(a, (x) => x > 0);
    g.set(a, 2);
    expect(g.stats().dirtyCount).toBe(1);
    g.stabilize();
    expect(g.stats()).toMatchObject({
      stabilizations: 1,
      recomputes: 2,
      cutoffs: 1,
      nodeCount: 2,
      dirtyCount: 0,
      lastRecomputes: 2,
    });
  });

  it('measures with the injected clock only', () => {
    let t = 1000;
    const g = new Graph({ clock: () => (t += 250) });
    const a = g.leaf(1);
    g.set(a, 2);
    g.stabilize();
    expect(g.stats().lastStabilizeNs).toBe(250);
  });

  it('exports Graphviz DOT deterministically', () => {
    const build = () => {
      const g = new Graph();
      const a = g.leaf(1, { name: 'price' });
      const b = g.map(a, (x) => x, { name: 'double' });
      g.observe(b, () => {});
      return g.toDot('vwap');
    };
    const dot = build();
    expect(dot).toBe(build());
    expect(dot).toContain('digraph "vwap" {');
    expect(dot).toContain('n0 [label="price\\nleaf h=0", shape=box];');
    expect(dot).toContain('n1 [label="double\\nmap h=1", shape=doubleoctagon];');
    expect(dot).toContain('n0 -> n1;');
  });

  it('caps DOT at maxNodes, aggregating the rest by kind and height with their edges once', () => {
    const g = new Graph();
    const leaves = Array.from({ length: 10 }, (_, i) => g.leaf(i, { name: `k${i}` }));
    const sum = g.mapN(leaves, (xs) => xs.reduce((a, b) => a + b, 0), { name: 'sum' });
    g.observe(sum, () => {});
    const all = g.dot('p');
    expect(all).toMatchObject({ nodes: 11, edges: 10, shownNodes: 11 });
    expect(all.dot).toBe(g.toDot('p'));
    const capped = g.dot('p', 3);
    expect(capped).toMatchObject({ nodes: 11, edges: 10, shownNodes: 3 });
    expect(capped.dot).toContain('n0 [label="k0\\nleaf h=0", shape=box];');
    expect(capped.dot).not.toContain('n3 [');
    // k3..k9 folded into one node; sum (id 10) too, in its own group
    expect(capped.dot).toContain('g_leaf_0 [label="7 more\\nleaf h=0"');
    expect(capped.dot).toMatch(/g_mapN_1 \[label="1 more\\nmapN h=1"/);
    expect(capped.dot.match(/g_leaf_0 -> g_mapN_1;/g)).toHaveLength(1);
    expect(capped.dot).toContain('n0 -> g_mapN_1;');
  });
});
