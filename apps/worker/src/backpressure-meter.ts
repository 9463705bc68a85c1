/**
 * The backpressure level (0..1, as in the original): the fraction of the last
 * `windowMs` the processing loop spent waiting for the sink to acknowledge the
 * previous batch. 0: the sink never slows the worker down; 1: the worker only
 * waits. Read at scrape time, so a sink that hangs shows as 1 while it hangs.
 */
export class BackpressureMeter {
  private readonly windowMs: number;
  /** Finished waits as [start, end], oldest first, none ending before the window. */
  private readonly waits: Array<[number, number]> = [];
  private waitingSince: number | null = null;

  constructor(windowMs = 10_000) {
    this.windowMs = windowMs;
  }

  begin(nowMs: number): void {
    this.waitingSince ??= nowMs;
  }

  end(nowMs: number): void {
    if (this.waitingSince === null) return;
    this.waits.push([this.waitingSince, nowMs]);
    this.waitingSince = null;
    this.prune(nowMs);
  }

  level(nowMs: number): number {
    this.prune(nowMs);
    const from = nowMs - this.windowMs;
    let waited = 0;
    for (const [s, e] of this.waits) waited += Math.max(0, e - Math.max(s, from));
    if (this.waitingSince !== null) waited += nowMs - Math.max(this.waitingSince, from);
    return Math.min(1, Math.max(0, waited / this.windowMs));
  }

  private prune(nowMs: number): void {
    const from = nowMs - this.windowMs;
    let i = 0;
    while (i < this.waits.length && (this.waits[i] as [number, number])[1] <= from) i++;
    if (i > 0) this.waits.splice(0, i);
  }
}
