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
  readonly dead: number;
  readonly late: number;
}

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

  constructor(topics: OutputTopics, outputSchema: Schema, workerId: string) {
    this.topics = topics;
    this.schema = outputSchema;
    this.workerId = workerId;
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
      const outputs = p.outputs;
      for (let i = 0; i < outputs.length; i += MAX_RECORDS_PER_FRAME) {
        const enc = new DeltaBatchEncoder(this.schema);
        const chunk = outputs.slice(i, i + MAX_RECORDS_PER_FRAME);
        for (const r of chunk) enc.add(r);
        const first = chunk[0]?.sequence ?? 0;
        const value = enc.finish({ sequence: first });
        deltas += chunk.length;
        bytes += value.length;
        out.push({
          topic: this.topics.output,
          partition: p.partition,
          key: `p${p.partition}`,
          value,
          headers: { ...headers, 'ripple-first-sequence': String(first) },
        });
      }
      const dead = p.deadLetters.length;
      for (const dl of p.deadLetters) {
        out.push({
          topic: this.topics.dlq,
          partition: p.partition,
          key: null,
          value: dl.value ?? new Uint8Array(0),
          headers: {
            ...headers,
            'ripple-dlq-reason': dl.reason.slice(0, 512),
            'ripple-source-topic': this.topics.input,
            'ripple-source-partition': String(dl.partition),
            'ripple-source-offset': String(dl.offset),
          },
        });
      }
      const late = p.lateCount;
      const lateValue = p.takeLate();
      if (lateValue !== null) {
        out.push({
          topic: this.topics.late,
          partition: p.partition,
          key: null,
          value: lateValue,
          headers: { ...headers, 'ripple-late-count': String(late) },
        });
      }
      counts.push({ partition: p.partition, deltas, bytes, dead, late });
      p.outputs.length = 0;
      p.deadLetters.length = 0;
    }
    return { records: out, counts };
  }
}
