/**
 * Ports of a pipeline: where events come from and where output goes. Real
 * adapters (files, stdin/stdout, Kafka) live in apps; the in-memory ones here
 * serve tests, benchmarks and embedding.
 */

/** A source delivers events in batches (a batch is the unit of one graph stabilization). */
export interface Source<E> {
  readonly name: string;
  batches(): AsyncIterable<readonly E[]>;
}

/** A sink receives output records in order. `write` may return a promise (backpressure). */
export interface Sink<O> {
  readonly name: string;
  write(records: readonly O[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Events from an array, `batchSize` at a time. */
export class MemorySource<E> implements Source<E> {
  readonly name: string;
  private readonly events: readonly E[];
  private readonly batchSize: number;
  constructor(events: readonly E[], options: { batchSize?: number; name?: string } = {}) {
    this.events = events;
    this.batchSize = options.batchSize ?? 4096;
    this.name = options.name ?? 'memory';
  }
  async *batches(): AsyncIterable<readonly E[]> {
    for (let i = 0; i < this.events.length; i += this.batchSize)
      yield this.events.slice(i, i + this.batchSize);
  }
}

/** Collects every record written. */
export class MemorySink<O> implements Sink<O> {
  readonly name: string;
  readonly records: O[] = [];
  closed = false;
  constructor(name = 'memory') {
    this.name = name;
  }
  write(records: readonly O[]): void {
    for (const r of records) this.records.push(r);
  }
  close(): void {
    this.closed = true;
  }
}
