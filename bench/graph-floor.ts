// `pnpm bench graph-floor [--json]`: the VWAP update of bench/graph.ts (one symbol's trade + stabilize) on
// the generic path, on the typed numeric path (f64 nodes), as the plain loop, and as the f64 path's queued
// algorithm written by hand with nothing general in it (module-level-style typed arrays, the same
// interleaved records and height buckets, the two user functions called directly so that V8 inlines them,
// a plain running sum, the observer an assignment): the cost of a height-ordered queue on this 6-node
// update whatever the engine. 30 alternated rounds of 20,000 updates per size; medians of per-round ratios.
import { loadavg } from 'node:os';
import { machine, median, printResult, xorshift } from './_util.ts';
import { buildRipple, buildRippleF64, type Trade } from './_vwap-graph.ts';

type Update = (symbol: number, t: Trade) => void;
/** An update and the VWAP it last produced (cross-checked between contenders). */
type Contender = [Update, () => number];

const POOL = 4096;
const rnd0 = xorshift(7);
const pool: Trade[] = Array.from({ length: POOL }, () => ({
  price: 100 + (rnd0() % 100) / 10,
  size: 1 + (rnd0() % 500),
}));

/** The graphs of bench/graph.ts, as this file's contenders. */
const generic = (n: number): Contender => {
  const c = buildRipple(n, pool);
  return [c.update, c.result];
};
const f64 = (n: number): Contender => {
  const c = buildRippleF64(n, pool);
  return [c.update, c.result];
};

function loop(n: number): Contender {
  const cn = new Float64Array(n);
  const cv = new Float64Array(n);
  let tn = 0;
  let tv = 0;
  for (let i = 0; i < n; i++) {
    const t = pool[i % POOL] as Trade;
    cn[i] = t.price * t.size;
    cv[i] = t.size;
    tn += t.price * t.size;
    tv += t.size;
  }
  let last = 0;
  return [
    (s, t) => {
      const x = t.price * t.size;
      tn += x - (cn[s] as number);
      tv += t.size - (cv[s] as number);
      cn[s] = x;
      cv[s] = t.size;
      const w = tv === 0 ? 0 : tn / tv;
      if (w !== last) last = w;
    },
    () => last,
  ];
}

/** The f64 path's algorithm by hand: ids price 3i, size 3i+1, notional 3i+2, then the two sums and the VWAP. */
function byHand(n: number): Contender {
  const cap = 3 * n + 3;
  const val = new Float64Array(cap);
  const pend = new Float64Array(cap);
  const ints = new Int32Array(cap * 8); // meta (kind | 4 queued | 8 pending), height, in0, in1, c0+1, c0 slot, c1+1, c1 slot
  const buckets = [0, 1, 2, 3].map(() => new Int32Array(cap));
  const blen = new Int32Array(4);
  let minD = 99;
  let maxD = -1;
  const SUMN = 3 * n;
  const SUMV = 3 * n + 1;
  const VWAP = 3 * n + 2;
  const sums = [SUMN, SUMV].map(() => ({
    contrib: new Float64Array(n),
    pending: new Int32Array(2 * n),
    pc: 0,
    acc: 0,
  }));
  const link = (p: number, c: number, slot: number): void => {
    const at = ints[p * 8 + 4] === 0 ? 4 : 6;
    ints[p * 8 + at] = c + 1;
    ints[p * 8 + at + 1] = slot;
  };
  for (let i = 0; i < n; i++) {
    const [p, s, m] = [3 * i, 3 * i + 1, 3 * i + 2];
    const t = pool[i % POOL] as Trade;
    ints[m * 8] = 1;
    ints[m * 8 + 1] = 1;
    ints[m * 8 + 2] = p;
    ints[m * 8 + 3] = s;
    link(p, m, 0);
    link(s, m, 1);
    link(s, SUMV, i);
    link(m, SUMN, i);
    val[p] = t.price;
    val[s] = t.size;
    val[m] = t.price * t.size;
    (sums[0] as { contrib: Float64Array }).contrib[i] = val[m] as number;
    (sums[1] as { contrib: Float64Array }).contrib[i] = t.size;
  }
  for (const st of sums) for (let i = 0; i < n; i++) st.acc += st.contrib[i] as number;
  ints[SUMN * 8] = 3;
  ints[SUMN * 8 + 1] = 2;
  ints[SUMV * 8] = 3;
  ints[SUMV * 8 + 1] = 1;
  ints[VWAP * 8] = 2;
  ints[VWAP * 8 + 1] = 3;
  ints[VWAP * 8 + 2] = SUMN;
  ints[VWAP * 8 + 3] = SUMV;
  link(SUMN, VWAP, 0);
  link(SUMV, VWAP, 1);
  let last = 0;
  const enqueue = (id: number): void => {
    ints[id * 8] = (ints[id * 8] as number) | 4;
    const h = ints[id * 8 + 1] as number;
    const len = blen[h] as number;
    (buckets[h] as Int32Array)[len] = id;
    blen[h] = len + 1;
    if (h < minD) minD = h;
    if (h > maxD) maxD = h;
  };
  const set = (id: number, v: number): void => {
    pend[id] = v;
    const m = ints[id * 8] as number;
    ints[id * 8] = m | 8;
    if ((m & 4) === 0) enqueue(id);
  };
  const touch = (d: number, slot: number, input: number): void => {
    const m = ints[d * 8] as number;
    if ((m & 3) === 3) {
      const st = sums[d === SUMN ? 0 : 1] as (typeof sums)[0];
      const k = 2 * st.pc++;
      st.pending[k] = slot;
      st.pending[k + 1] = input;
    }
    if ((m & 4) === 0) enqueue(d);
  };
  const recompute = (id: number): boolean => {
    const m = ints[id * 8] as number;
    const old = val[id] as number;
    const k = m & 3;
    let nv: number;
    if (k === 0) {
      nv = pend[id] as number;
      ints[id * 8] = m & ~8;
    } else if (k === 1)
      nv = (val[ints[id * 8 + 2] as number] as number) * (val[ints[id * 8 + 3] as number] as number);
    else if (k === 2) {
      const b = val[ints[id * 8 + 3] as number] as number;
      nv = b === 0 ? 0 : (val[ints[id * 8 + 2] as number] as number) / b;
    } else {
      const st = sums[id === SUMN ? 0 : 1] as (typeof sums)[0];
      for (let j = 0; j < 2 * st.pc; j += 2) {
        const slot = st.pending[j] as number;
        const x = val[st.pending[j + 1] as number] as number;
        st.acc += x - (st.contrib[slot] as number);
        st.contrib[slot] = x;
      }
      st.pc = 0;
      nv = st.acc;
    }
    if (nv === old) return false;
    val[id] = nv;
    if (id === VWAP) last = nv;
    return true;
  };
  const stabilize = (): void => {
    for (let h = minD; h <= maxD; h++) {
      const len = blen[h] as number;
      const b = buckets[h] as Int32Array;
      for (let i = 0; i < len; i++) {
        const id = b[i] as number;
        ints[id * 8] = (ints[id * 8] as number) & ~4;
        if (!recompute(id)) continue;
        const c0 = ints[id * 8 + 4] as number;
        if (c0 !== 0) touch(c0 - 1, ints[id * 8 + 5] as number, id);
        const c1 = ints[id * 8 + 6] as number;
        if (c1 !== 0) touch(c1 - 1, ints[id * 8 + 7] as number, id);
      }
      blen[h] = 0;
    }
    minD = 99;
    maxD = -1;
  };
  return [
    (s, t) => {
      set(3 * s, t.price);
      set(3 * s + 1, t.size);
      stabilize();
    },
    () => last,
  ];
}

const json = process.argv.includes('--json');
const out: Record<string, unknown> = {
  suite: 'graph-floor',
  rounds: 30,
  updates_per_round: 20_000,
  load_avg_1m_start: loadavg()[0],
};
for (const n of [1_000, 10_000, 100_000]) {
  const rnd = xorshift(42);
  const seq = new Uint32Array(1 << 16);
  for (let i = 0; i < seq.length; i++) seq[i] = rnd() % n;
  const built: Record<string, Contender> = {
    loop: loop(n),
    by_hand: byHand(n),
    generic: generic(n),
    f64: f64(n),
  };
  const names = Object.keys(built);
  const contenders: Record<string, Update> = Object.fromEntries(
    names.map((nm) => [nm, (built[nm] as Contender)[0]]),
  );
  const round = (u: Update, from: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0, k = from; i < 20_000; i++, k++) u(seq[k & 0xffff] as number, pool[k % POOL] as Trade);
    return Number(process.hrtime.bigint() - t0) / 20_000;
  };
  for (const nm of names) for (let w = 0; w < 5; w++) round(contenders[nm] as Update, 0);
  const times: Record<string, number[]> = Object.fromEntries(names.map((nm) => [nm, []]));
  for (let r = 0; r < 30; r++) {
    for (const nm of r % 2 === 0 ? names : [...names].reverse()) {
      (times[nm] as number[]).push(round(contenders[nm] as Update, r * 20_000));
    }
  }
  // The four computed the same VWAP for the same updates.
  const vwap = (built.loop as Contender)[1]();
  for (const nm of names) {
    const v = (built[nm] as Contender)[1]();
    if (Math.abs(v - vwap) > 1e-9 * Math.abs(vwap))
      throw new Error(`${nm} gives VWAP ${v}, the loop ${vwap} at ${n}`);
  }
  const overLoop = (nm: string): number =>
    Math.round(
      median((times[nm] as number[]).map((x, i) => x / ((times.loop as number[])[i] as number))) * 100,
    ) / 100;
  out[`n_${n}`] = {
    ns: Object.fromEntries(names.map((nm) => [nm, Math.round(median(times[nm] as number[]) * 10) / 10])),
    over_loop: Object.fromEntries(names.map((nm) => [nm, overLoop(nm)])),
  };
  if (!json) console.log(n, JSON.stringify(out[`n_${n}`]));
}
out.load_avg_1m_end = loadavg()[0];
out.machine = machine();
printResult(out, json);
