/**
 * Output framing: what the job partitions produced becomes sink records.
 * Output deltas go to the output topic as DeltaBatch frames (the frame's
 * sequence is its first record's), dead letters to the DLQ topic one per input
 * record with the reason and source position, late events to the side topic.
 * Every record carries the worker id, the partition's epoch and the trace context.
 */
import { DeltaBatchEncoder, type Schema } from '@ripple/protocol';
import type { JobPartition } from './job.ts';
import type { SinkRecord } from './ports.ts';

/** Records per output frame: keeps a Kafka record well under the broker's 1 MiB default. */
const MAX_RECORDS_PER_FRAME = 2000;

export interface FramedCounts {
  readonly partition: number;
  readonly deltas: number;
  readonly bytes: number;
  /** Dead letters by code. */
  readonly dead: ReadonlyMap<string, number>;
  readonly late: number;
  /** Dead-letter values cut to fit the message size. */
  readonly truncated: number;
}

/** Room kept for headers and the record envelope below `maxMessageBytes`. */
const ENVELOPE_BYTES = 16 * 1024;

export interface OutputTopics {
  readonly input: string;
  readonly output: string;
  readonly dlq: string;
  readonly late: string;
}

export class OutputFramer {
  private readonly topics: OutputTopics;
  private readonly schema: Schema;
  private readonly workerId: string;

  private readonly maxBytes: number;

  /**
   * `maxMessageBytes` is the broker's limit: an output or late frame is cut
   * when it reaches a quarter of it (one record more cannot cross it: keys are
   * bounded by the job), a dead-letter value longer than the limit minus the
   * header room is truncated (header `ripple-dlq-truncated-from`).
   */
  constructor(topics: OutputTopics, outputSchema: Schema, workerId: string, maxMessageBytes = 1_000_000) {
    this.topics = topics;
    this.schema = outputSchema;
    this.workerId = workerId;
    this.maxBytes = maxMessageBytes;
  }

  /**
   * Frame and take everything the partitions hold (their output, dead-letter
   * and late buffers are emptied). `trace` holds the propagation headers.
   */
  frame(
    parts: readonly JobPartition[],
    epochOf: (partition: number) => number,
    trace: Readonly<Record<string, string>>,
  ): { records: SinkRecord[]; counts: FramedCounts[] } {
    const out: SinkRecord[] = [];
    const counts: FramedCounts[] = [];
    for (const p of parts) {
      const headers: Record<string, string> = {
        'ripple-worker': this.workerId,
        'ripple-epoch': String(epochOf(p.partition)),
        ...trace,
      };
      let deltas = 0;
      let bytes = 0;
      const frameBytes = this.maxBytes / 4;
      const outputs = p.outputs;
      let enc = new DeltaBatchEncoder(this.schema);
      let first = 0;
      const flush = () => {
        const value = enc.finish({ sequence: first });
        deltas += enc.count;
        bytes += value.length;
        out.push({
          topic: this.topics.output,
          partition: p.partition,
          key: `p${p.partition}`,
          value,
          headers: { ...headers, 'ripple-first-sequence': String(first) },
        });
        enc = new DeltaBatchEncoder(this.schema);
      };
      for (const r of outputs) {
        if (enc.count === 0) first = r.sequence;
        enc.add(r);
        if (enc.count >= MAX_RECORDS_PER_FRAME || enc.byteLength >= frameBytes) flush();
      }
      if (enc.count > 0) flush();
      const dead = new Map<string, number>();
      let truncated = 0;
      const room = this.maxBytes - ENVELOPE_BYTES;
      for (const dl of p.deadLetters) {
        dead.set(dl.code, (dead.get(dl.code) ?? 0) + 1);
        const value = dl.value ?? new Uint8Array(0);
        const cut = value.length > room;
        if (cut) truncated++;
        out.push({
          topic: this.topics.dlq,
          partition: p.partition,
          key: null,
          value: cut ? value.subarray(0, room) : value,
          headers: {
            ...headers,
            'ripple-dlq-code': dl.code,
            'ripple-dlq-reason': dl.reason.slice(0, 512),
            'ripple-source-topic': this.topics.input,
            'ripple-source-partition': String(dl.partition),
            'ripple-source-offset': String(dl.offset),
            ...(cut ? { 'ripple-dlq-truncated-from': String(value.length) } : {}),
          },
        });
      }
      const late = p.lateCount;
      const lateFrames = late > 0 ? p.takeLate(frameBytes) : [];
      for (const value of lateFrames) {
        out.push({
          topic: this.topics.late,
          partition: p.partition,
          key: null,
          value,
          headers: {
            ...headers,
            'ripple-late-count': String(late),
            'ripple-late-frames': String(lateFrames.length),
          },
        });
      }
      counts.push({ partition: p.partition, deltas, bytes, dead, late, truncated });
      p.outputs.length = 0;
      p.deadLetters.length = 0;
    }
    return { records: out, counts };
  }
}
