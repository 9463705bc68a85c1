/**
 * The state of one incremental f64 sum (`Graph.f64Sum`): what each input slot contributes now,
 * which slots changed since the last stabilization, and the running total.
 *
 * Precision. The total is kept with Neumaier's compensated summation (a running sum `acc` and the
 * rounding error `comp` it lost), and a changed input is applied as two compensated steps (subtract
 * its old contribution, add the new one), never as one rounded delta. The result is the compensated
 * sum of every contribution ever added or removed, whose error is at most about 2 ulp of the total
 * plus a term in ε² × (number of updates) × (their magnitudes): it does not drift with the number of
 * updates the way a plain running sum does, and it matches a full re-sum of the current inputs to
 * better than 1e-9 × max(1, Σ|xᵢ|), the tolerance the debug checker applies (the generic fold's is
 * 1e-9 relative to the values).
 *
 * Non-finite inputs never enter `acc`: NaN, +∞ and −∞ contributions are counted apart, so a sum
 * goes back to a finite value when its last non-finite input does (a plain running sum stays NaN
 * forever after ∞ − ∞). Value: NaN if any input is NaN or both infinities are present, else ±∞ if
 * one is, else `acc + comp`. If the finite total itself overflows, the sum is re-added from its
 * contributions (O(inputs), only while it overflows). An empty sum, or one of only zeros, is +0.
 */

const INITIAL_CAPACITY = 4;

export class F64SumState {
  /** Input node id per slot. */
  inputs: number[] = [];
  /** Contribution folded in per slot (the input's value at the last stabilization). */
  contrib: Float64Array;
  /**
   * Inputs changed in this stabilization, as [slot, input id] pairs, `pendingCount` of them. Each
   * slot is marked at most once per stabilization (its input changes at most once, and only the
   * stabilization marks slots), and the sum applies them in the same stabilization: outside one,
   * the list is empty.
   */
  pending: Int32Array;
  pendingCount = 0;
  acc = 0;
  comp = 0;
  nNaN = 0;
  nPosInf = 0;
  nNegInf = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    const cap = Math.max(INITIAL_CAPACITY, capacity);
    this.contrib = new Float64Array(cap);
    this.pending = new Int32Array(2 * cap);
  }

  get size(): number {
    return this.inputs.length;
  }

  /** Append a slot contributing `x` at once (building, or an input added while live). */
  push(input: number, x: number): number {
    const slot = this.inputs.length;
    if (slot === this.contrib.length) this.grow();
    this.inputs.push(input);
    this.contrib[slot] = x;
    this.add(x);
    return slot;
  }

  /**
   * Remove slot `slot` (its contribution leaves the total at once); the last slot moves into its
   * place. Returns the input id of the moved slot, or -1 when the removed slot was the last one.
   */
  removeSlot(slot: number): number {
    this.sub(this.contrib[slot] as number);
    const last = this.inputs.length - 1;
    let moved = -1;
    if (slot !== last) {
      moved = this.inputs[last] as number;
      this.inputs[slot] = moved;
      this.contrib[slot] = this.contrib[last] as number;
    }
    this.inputs.pop();
    return moved;
  }

  /** Input `input` of slot `slot` changed (called by the stabilization, once per slot at most). */
  markSlot(slot: number, input: number): void {
    const k = 2 * this.pendingCount++;
    this.pending[k] = slot;
    this.pending[k + 1] = input;
  }

  /** Fold the changed slots' current values (read from `val`) in; returns the new total. */
  apply(val: Float64Array): number {
    const pending = this.pending;
    const contrib = this.contrib;
    const end = 2 * this.pendingCount;
    for (let k = 0; k < end; k += 2) {
      const slot = pending[k] as number;
      const x = val[pending[k + 1] as number] as number;
      const old = contrib[slot] as number;
      contrib[slot] = x;
      this.sub(old);
      this.add(x);
    }
    this.pendingCount = 0;
    return this.value();
  }

  /** The total as the module comment defines it. */
  value(): number {
    if (this.nNaN > 0 || (this.nPosInf > 0 && this.nNegInf > 0)) return Number.NaN;
    if (this.nPosInf > 0) return Number.POSITIVE_INFINITY;
    if (this.nNegInf > 0) return Number.NEGATIVE_INFINITY;
    const s = this.acc + this.comp;
    if (s - s === 0) return s;
    // The finite contributions overflowed (or did at some point): add them again from scratch.
    this.resum();
    const r = this.acc + this.comp;
    // Still overflowing: the total is the running sum's ±∞ (the compensation is NaN then).
    return r - r === 0 ? r : this.acc;
  }

  /** Compensated sum of the current contributions, in slot order (what the debug checker compares with). */
  reference(): number {
    const ref = new F64SumState(this.inputs.length);
    for (let s = 0; s < this.inputs.length; s++) ref.add(this.contrib[s] as number);
    return ref.value();
  }

  /** Σ|xᵢ| of the finite contributions: the scale of the checker's tolerance. */
  magnitude(): number {
    let m = 0;
    for (let s = 0; s < this.inputs.length; s++) {
      const x = this.contrib[s] as number;
      if (x - x === 0) m += Math.abs(x);
    }
    return m;
  }

  private resum(): void {
    this.acc = 0;
    this.comp = 0;
    const contrib = this.contrib;
    for (let s = 0; s < this.inputs.length; s++) {
      const x = contrib[s] as number;
      if (x - x === 0) this.addFinite(x);
    }
  }

  private add(x: number): void {
    if (x - x === 0) this.addFinite(x);
    // biome-ignore lint/suspicious/noSelfCompare: NaN test without a call on the hot path
    else if (x !== x) this.nNaN++;
    else if (x > 0) this.nPosInf++;
    else this.nNegInf++;
  }

  private sub(x: number): void {
    if (x - x === 0) this.addFinite(-x);
    // biome-ignore lint/suspicious/noSelfCompare: NaN test without a call on the hot path
    else if (x !== x) this.nNaN--;
    else if (x > 0) this.nPosInf--;
    else this.nNegInf--;
  }

  /** One step of Neumaier's compensated summation. */
  private addFinite(x: number): void {
    const a = this.acc;
    const t = a + x;
    if (Math.abs(a) >= Math.abs(x)) this.comp += a - t + x;
    else this.comp += x - t + a;
    this.acc = t;
  }

  private grow(): void {
    const cap = this.contrib.length * 2;
    const contrib = new Float64Array(cap);
    contrib.set(this.contrib);
    const pending = new Int32Array(2 * cap);
    pending.set(this.pending);
    this.contrib = contrib;
    this.pending = pending;
  }
}
