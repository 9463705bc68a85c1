/**
 * Dead-letter and late counts with their reasons, for the dashboard: each
 * worker's heartbeat load carries its totals since its process started
 * (dead letters by reason code, late events). Totals are kept per worker
 * incarnation, so a worker that leaves or restarts keeps what it counted;
 * the cluster's count of a reason is the sum over incarnations. Rates come
 * from the totals sampled once a second (over the last `RATE_WINDOW_S`).
 */

/** The reason of late events (they carry no code of their own). */
export const LATE_REASON = 'late';
const RATE_WINDOW_S = 10;
/** Incarnations remembered one by one; older ones are folded into one total. */
const INCARNATIONS_KEPT = 256;

export interface DivertedRow {
  /** `dead_letter`: to the dead-letter topic; `late`: to the late-data topic */
  readonly kind: 'dead_letter' | 'late';
  readonly reason: string;
  readonly total: number;
  /** per second, over the last 10 s (0 until two samples exist) */
  readonly perSec: number;
  /** totals by worker id (over its incarnations) */
  readonly byWorker: Readonly<Record<string, number>>;
}

type Totals = Map<string, number>;

const rowKey = (kind: DivertedRow['kind'], reason: string) => `${kind}:${reason}`;

export class DivertedCounts {
  /** `workerId` + incarnation -> that process's totals by row key */
  private readonly byIncarnation = new Map<string, { workerId: string; totals: Totals }>();
  /** what incarnations beyond INCARNATIONS_KEPT had counted, by worker id and row key */
  private readonly retired = new Map<string, Totals>();
  private readonly samples: Array<{ t: number; totals: Totals }> = [];

  /** A heartbeat's load fields (absent: a worker that does not report them). */
  heard(
    workerId: string,
    incarnation: string,
    deadLetters: Readonly<Record<string, number>> | undefined,
    late: number | undefined,
  ): void {
    if (deadLetters === undefined && late === undefined) return;
    const totals: Totals = new Map();
    for (const [reason, n] of Object.entries(deadLetters ?? {})) totals.set(rowKey('dead_letter', reason), n);
    if (late !== undefined && late > 0) totals.set(rowKey('late', LATE_REASON), late);
    const key = `${workerId}\u0000${incarnation}`;
    this.byIncarnation.delete(key); // re-insert: the map's order is the order last heard
    this.byIncarnation.set(key, { workerId, totals });
    while (this.byIncarnation.size > INCARNATIONS_KEPT) {
      const [oldest, v] = this.byIncarnation.entries().next().value as [
        string,
        { workerId: string; totals: Totals },
      ];
      this.byIncarnation.delete(oldest);
      const r = this.retired.get(v.workerId) ?? new Map<string, number>();
      for (const [k, n] of v.totals) r.set(k, (r.get(k) ?? 0) + n);
      this.retired.set(v.workerId, r);
    }
  }

  /** Take one sample of the cluster totals at `t` seconds (the rates' basis). */
  sample(t: number): void {
    if (this.samples.at(-1)?.t === t) return;
    this.samples.push({ t, totals: this.totals() });
    while (this.samples.length > RATE_WINDOW_S + 1) this.samples.shift();
  }

  rows(): DivertedRow[] {
    const byWorker = new Map<string, Map<string, number>>();
    const add = (workerId: string, totals: Totals) => {
      for (const [k, n] of totals) {
        const w = byWorker.get(k) ?? new Map<string, number>();
        w.set(workerId, (w.get(workerId) ?? 0) + n);
        byWorker.set(k, w);
      }
    };
    for (const [w, totals] of this.retired) add(w, totals);
    for (const v of this.byIncarnation.values()) add(v.workerId, v.totals);
    const first = this.samples[0];
    const last = this.samples.at(-1);
    const dt = first !== undefined && last !== undefined ? last.t - first.t : 0;
    const rows: DivertedRow[] = [];
    for (const [k, w] of byWorker) {
      const i = k.indexOf(':');
      const kind = k.slice(0, i) as DivertedRow['kind'];
      let total = 0;
      for (const n of w.values()) total += n;
      const perSec =
        dt > 0 ? Math.max(0, ((last?.totals.get(k) ?? 0) - (first?.totals.get(k) ?? 0)) / dt) : 0;
      rows.push({
        kind,
        reason: k.slice(i + 1),
        total,
        perSec,
        byWorker: Object.fromEntries([...w].sort(([a], [b]) => (a < b ? -1 : 1))),
      });
    }
    // dead letters first, then late; within a kind the largest count first
    return rows.sort((a, b) =>
      a.kind !== b.kind
        ? a.kind === 'dead_letter'
          ? -1
          : 1
        : b.total - a.total || (a.reason < b.reason ? -1 : 1),
    );
  }

  private totals(): Totals {
    const out: Totals = new Map();
    const add = (totals: Totals) => {
      for (const [k, n] of totals) out.set(k, (out.get(k) ?? 0) + n);
    };
    for (const t of this.retired.values()) add(t);
    for (const v of this.byIncarnation.values()) add(v.totals);
    return out;
  }
}
