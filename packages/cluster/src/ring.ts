/**
 * Consistent-hash ring with virtual nodes. Each worker puts `vnodes` points
 * on a 32-bit ring (`hash32("<worker>#<i>")`); partition p sits at the fixed
 * position `p * 2^32 / numPartitions` (evenly spaced, so the only imbalance
 * is the workers' arc shares, not sampling noise) and belongs to the first
 * worker point at or after it, wrapping around.
 *
 * Properties (property-tested in test/ring.test.ts):
 * - a pure function of the member set: every coordinator replica computes the
 *   same table from the same members, whatever the order they were added in;
 * - adding a worker to N moves only partitions that the new worker takes
 *   (about 1/(N+1) of them); removing one moves only its own partitions;
 * - balance: with 128 vnodes the largest share stays within the bound stated
 *   of `ringBalanceBound` (measured, see docs/decisions/0005).
 *
 * Cost: building is O(W·V log(W·V)) (one Float64Array sort), assigning is
 * one merge pass over the sorted points, O(W·V + P).
 */
import { DuplicateWorkerError, InvalidRingError } from './errors.ts';
import { hash32 } from './hash.ts';

export const DEFAULT_VNODES = 128;
const TWO32 = 2 ** 32;
/** worker index bits packed under the hash in one float64 (2^20 > 1M workers) */
const INDEX_SPACE = 2 ** 20;

/**
 * The balance bound the property tests hold the ring to, for 128 vnodes:
 * with m = P / N partitions per worker on average, no worker owns more than
 * `ringBalanceBound(m)` = ceil(1.5 m + 3 sqrt(m)) + 3. The sqrt term covers
 * few partitions per worker, where clumped arcs dominate; with many
 * (m >= 150) the largest share measured over 200 random id sets per size was
 * 1.19-1.41 x the mean for 2-64 workers (docs/decisions/0005).
 */
export function ringBalanceBound(meanPerWorker: number): number {
  return Math.ceil(1.5 * meanPerWorker + 3 * Math.sqrt(meanPerWorker)) + 3;
}

export class HashRing {
  readonly vnodes: number;
  /** sorted worker ids; `owners[i]` indexes into this */
  readonly workers: readonly string[];
  /** ring points sorted ascending: position (high bits) and worker index (low bits) */
  private readonly points: Float64Array;

  constructor(workers: Iterable<string>, vnodes: number = DEFAULT_VNODES) {
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 4096) {
      throw new InvalidRingError(`vnodes must be an integer in [1, 4096], got ${vnodes}`);
    }
    const ids = [...workers].sort();
    for (let i = 1; i < ids.length; i++) {
      if (ids[i] === ids[i - 1]) throw new DuplicateWorkerError(ids[i]!);
    }
    if (ids.length >= INDEX_SPACE) throw new InvalidRingError(`at most ${INDEX_SPACE - 1} workers`);
    this.vnodes = vnodes;
    this.workers = ids;
    const points = new Float64Array(ids.length * vnodes);
    let k = 0;
    for (let w = 0; w < ids.length; w++) {
      const id = ids[w]!;
      for (let v = 0; v < vnodes; v++) points[k++] = hash32(`${id}#${v}`) * INDEX_SPACE + w;
    }
    points.sort();
    this.points = points;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Ring position of partition p of numPartitions. */
  static position(partition: number, numPartitions: number): number {
    return Math.floor((partition * TWO32) / numPartitions);
  }

  /** Owner of one ring position (first point at or after it, wrapping); undefined on an empty ring. */
  ownerAt(position: number): string | undefined {
    const pts = this.points;
    if (pts.length === 0) return undefined;
    const key = position * INDEX_SPACE;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    const pt = pts[lo === pts.length ? 0 : lo]!;
    return this.workers[pt % INDEX_SPACE];
  }

  ownerOf(partition: number, numPartitions: number): string | undefined {
    return this.ownerAt(HashRing.position(partition, numPartitions));
  }

  /**
   * The owner of every partition 0..numPartitions-1 (index = partition), in
   * one merge pass. Empty ring: every entry undefined.
   */
  assign(numPartitions: number): (string | undefined)[] {
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new InvalidRingError(`numPartitions must be a positive integer, got ${numPartitions}`);
    }
    const out = new Array<string | undefined>(numPartitions);
    const pts = this.points;
    if (pts.length === 0) return out.fill(undefined);
    let j = 0;
    for (let p = 0; p < numPartitions; p++) {
      const key = HashRing.position(p, numPartitions) * INDEX_SPACE;
      while (j < pts.length && pts[j]! < key) j++;
      const pt = pts[j === pts.length ? 0 : j]!;
      out[p] = this.workers[pt % INDEX_SPACE];
    }
    return out;
  }
}
