/**
 * A consumer of a job's output written only from docs/consumer-contract.md:
 * per output partition it keeps the highest sequence applied, drops records
 * at or below it (re-emits) and applies the others' absolute deltas to the
 * last value per (key, window start).
 */
import { decodeDeltaBatch, type Schema, SchemaRegistry } from '@ripple/protocol';
import { apply, type Value } from '@ripple/stream';

export class ContractConsumer {
  private readonly schemas = new SchemaRegistry();
  /** Highest sequence applied, per output partition. */
  private readonly last = new Map<number, number>();
  /** Last value per `key@windowStartNs`. */
  readonly values = new Map<string, Value>();
  /** Sequences applied per output partition, in order. */
  readonly applied = new Map<number, number[]>();
  dropped = 0;

  constructor(outputSchema: Schema) {
    this.schemas.register(outputSchema);
  }

  /** One output record's value (a DeltaBatch frame) read from `partition`, in log order. */
  consume(partition: number, frame: Uint8Array): void {
    for (const r of decodeDeltaBatch(frame, { schemas: this.schemas }).records) {
      const last = this.last.get(partition) ?? 0;
      if (r.sequence <= last) {
        this.dropped++;
        continue;
      }
      this.last.set(partition, r.sequence);
      const seqs = this.applied.get(partition) ?? [];
      seqs.push(r.sequence);
      this.applied.set(partition, seqs);
      const k = `${r.key}@${r.window.startNs}`;
      const v = apply(r.delta, this.values.get(k));
      if (v === undefined) this.values.delete(k);
      else this.values.set(k, v);
    }
  }
}
