/**
 * The live VWAP table of the dashboard: the workers' output records (DeltaBatch
 * frames of the output topic, read committed) applied as
 * docs/consumer-contract.md says — per output partition, a record whose
 * sequence is not above the highest applied is a re-emit and is dropped;
 * otherwise its delta is applied to the value kept for (symbol, window). So a
 * rebalance (the new owner continues the sequence) or a crash replay
 * (re-emits carry sequences already applied) never shows a duplicate or a
 * value going back.
 *
 * Bounded: the newest `windowsPerSymbol` windows of each symbol, at most
 * `maxSymbols` symbols (the one updated longest ago is forgotten first).
 */
import { applyDelta, type Value } from '@ripple/core';
import { decodeDeltaBatch, ProtocolError, type SchemaRegistry } from '@ripple/protocol';

export interface VwapRow {
  readonly symbol: string;
  /** window bounds, ns since the epoch (decimal strings: int64) */
  readonly windowStartNs: string;
  readonly windowEndNs: string;
  readonly vwap: number | null;
  readonly volume: number | null;
  readonly count: number | null;
  readonly partition: number;
  /** the output sequence of the last delta applied to the row */
  readonly sequence: number;
  readonly updatedAtMs: number;
}

export interface VwapView {
  readonly rows: readonly VwapRow[];
  /** symbols matching the search (rows shows the first `limit` rows of them) */
  readonly matched: number;
  readonly symbols: number;
  readonly applied: number;
  /** re-emits dropped by sequence */
  readonly dropped: number;
  readonly undecodable: number;
  /** where the rows come from, or why there are none */
  readonly source: string;
}

interface WindowState {
  endNs: bigint;
  value: Value;
  partition: number;
  sequence: number;
  atMs: number;
}

export interface VwapBoardOptions {
  readonly windowsPerSymbol?: number;
  readonly maxSymbols?: number;
  readonly now?: () => number;
}

export class VwapBoard {
  private readonly schemas: SchemaRegistry;
  private readonly last = new Map<number, number>();
  /** symbol -> window start -> state; map order: least recently updated symbol first */
  private readonly symbols = new Map<string, Map<bigint, WindowState>>();
  private readonly windowsPerSymbol: number;
  private readonly maxSymbols: number;
  private readonly now: () => number;
  applied = 0;
  dropped = 0;
  undecodable = 0;
  source = 'not configured (set KAFKA_BROKERS to read the output topic)';

  constructor(schemas: SchemaRegistry, o: VwapBoardOptions = {}) {
    this.schemas = schemas;
    this.windowsPerSymbol = o.windowsPerSymbol ?? 3;
    this.maxSymbols = o.maxSymbols ?? 50_000;
    this.now = o.now ?? Date.now;
  }

  /** One output record's value, read from output `partition` in log order. */
  consume(partition: number, frame: Uint8Array): void {
    let records: ReturnType<typeof decodeDeltaBatch>['records'];
    try {
      records = decodeDeltaBatch(frame, { schemas: this.schemas }).records;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.undecodable++;
      return;
    }
    for (const r of records) {
      if (r.sequence <= (this.last.get(partition) ?? 0)) {
        this.dropped++;
        continue;
      }
      this.last.set(partition, r.sequence);
      this.applied++;
      let windows = this.symbols.get(r.key);
      if (windows === undefined) windows = new Map();
      else this.symbols.delete(r.key); // re-inserted below: most recently updated last
      this.symbols.set(r.key, windows);
      const start = r.window.startNs;
      const value = applyDelta(r.delta, windows.get(start)?.value);
      if (value === undefined) windows.delete(start);
      else
        windows.set(start, {
          endNs: r.window.endNs,
          value,
          partition,
          sequence: r.sequence,
          atMs: this.now(),
        });
      if (windows.size > this.windowsPerSymbol) {
        let oldest: bigint | undefined;
        for (const start of windows.keys()) if (oldest === undefined || start < oldest) oldest = start;
        if (oldest !== undefined) windows.delete(oldest);
      }
      if (windows.size === 0) this.symbols.delete(r.key);
    }
    while (this.symbols.size > this.maxSymbols) {
      const first = this.symbols.keys().next().value as string;
      this.symbols.delete(first);
    }
  }

  /**
   * Rows of the symbols starting with `query` (case-insensitive; all when
   * empty), by symbol then newest window first, at most `limit`.
   */
  view(query: string, limit: number): VwapView {
    const q = query.trim().toUpperCase();
    const matches = [...this.symbols.keys()].filter((s) => s.toUpperCase().startsWith(q)).sort();
    const rows: VwapRow[] = [];
    for (const symbol of matches) {
      const windows = [...(this.symbols.get(symbol) ?? new Map<bigint, WindowState>())].sort(([a], [b]) =>
        a < b ? 1 : -1,
      );
      for (const [start, w] of windows) {
        if (rows.length >= limit) break;
        const v = (w.value ?? {}) as Record<string, Value>;
        rows.push({
          symbol,
          windowStartNs: start.toString(),
          windowEndNs: w.endNs.toString(),
          vwap: num(v.vwap),
          volume: num(v.volume),
          count: num(v.count),
          partition: w.partition,
          sequence: w.sequence,
          updatedAtMs: w.atMs,
        });
      }
      if (rows.length >= limit) break;
    }
    return {
      rows,
      matched: matches.length,
      symbols: this.symbols.size,
      applied: this.applied,
      dropped: this.dropped,
      undecodable: this.undecodable,
      source: this.source,
    };
  }
}

const num = (x: Value | undefined): number | null =>
  typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : null;
