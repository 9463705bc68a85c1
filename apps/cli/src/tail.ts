/**
 * `ripple tail`: the worker's binary topics as readable lines or NDJSON.
 * output: `DeltaBatch` frames decoded with the VWAP output schema; each delta
 * is shown with the full value it leaves for its (symbol, window) (deltas are
 * absolute, so a patch is applied to the value kept). `--dedup` applies the
 * consumer contract (docs/consumer-contract.md): per partition, a record
 * whose sequence is not above the highest applied is a re-emit and dropped.
 * late: the late side topic's `TradeBatch` frames, one trade per line.
 * dlq: dead letters with their reason headers and the raw value's size.
 * An undecodable record is shown as such and counted; tail goes on.
 */
import {
  decodeDeltaBatch,
  decodeTradeBatch,
  type OutputRecord,
  type ProtocolError,
  SchemaRegistry,
} from '@ripple/protocol';
import { apply, type Value } from '@ripple/stream';
import { formatTrade, VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import type { CommandIo } from './commands.ts';
import { UsageError } from './errors.ts';
import { type StartAt, TopicReader, type TopicRecord } from './kafka-topic.ts';
import { flag, oneOf, parse, positiveInt, str } from './parse.ts';
import { kafkaBrokers, topics } from './services.ts';

export const TAIL_HELP = `ripple tail: read the worker's output, dead-letter or late topic.

Usage:
  pnpm ripple tail [--topic output|dlq|late] [options]

  --topic output|dlq|late   which topic (default output): $RIPPLE_OUTPUT_TOPIC (vwap-output),
                        $RIPPLE_DLQ_TOPIC (trades-dlq), $RIPPLE_INPUT_TOPIC-late (trades-late)
  --topic-name NAME     read this topic instead (decoded as --topic says)
  --from earliest|latest|OFFSET|-N
                        where to start in each partition (default earliest; -N = the last N records)
  --partition P         one partition only
  --follow, -f          keep reading new records (Ctrl-C stops); without it, stop at the end
                        the topic had when tail started
  --dedup               output: drop re-emits by sequence, as a consumer must (docs/consumer-contract.md)
  --limit N             stop after N lines
  --json                one JSON object per line (ns times as exact integers)
  --brokers LIST        Kafka bootstrap brokers (default $KAFKA_BROKERS)

A summary (records, lines, re-emits dropped, undecodable) goes to stderr at the end.
Exit status: 0 success, 1 Kafka unreachable, 2 misuse (or the topic does not exist).
`;

export type TailKind = 'output' | 'dlq' | 'late';

export interface TailOptions {
  readonly kind: TailKind;
  readonly topic: string;
  readonly from: StartAt;
  readonly partition: number | null;
  readonly follow: boolean;
  readonly dedup: boolean;
  readonly limit: number | null;
  readonly json: boolean;
  readonly brokers: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseTailArgs(args: readonly string[], env: Env): TailOptions | null {
  const p = parse(args, {
    help: { type: 'boolean', short: 'h' },
    topic: { type: 'string' },
    'topic-name': { type: 'string' },
    from: { type: 'string' },
    partition: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    dedup: { type: 'boolean' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    brokers: { type: 'string' },
  });
  if (flag(p, 'help')) return null;
  const kind = oneOf(str(p, 'topic') ?? 'output', '--topic', ['output', 'dlq', 'late'] as const);
  const fromText = str(p, 'from') ?? 'earliest';
  let from: StartAt;
  if (fromText === 'earliest' || fromText === 'latest') from = fromText;
  else if (/^\d{1,18}$/.test(fromText)) from = { offset: BigInt(fromText) };
  else if (/^-\d{1,18}$/.test(fromText)) from = { lastN: BigInt(fromText.slice(1)) };
  else
    throw new UsageError(
      `--from: ${JSON.stringify(fromText)} is not earliest, latest, OFFSET or -N`,
      '--from',
    );
  if (flag(p, 'dedup') && kind !== 'output')
    throw new UsageError('--dedup applies to --topic output (sequence numbers)', '--dedup');
  const part = str(p, 'partition');
  const limit = str(p, 'limit');
  return {
    kind,
    topic: str(p, 'topic-name') ?? topics(env)[kind],
    from,
    partition:
      part === undefined ? null : /^\d+$/.test(part) ? Number(part) : positiveInt(part, '--partition'),
    follow: flag(p, 'follow'),
    dedup: flag(p, 'dedup'),
    limit: limit === undefined ? null : positiveInt(limit, '--limit'),
    json: flag(p, 'json'),
    brokers: kafkaBrokers(p, env),
  };
}

/** What tail reads from (a Kafka topic; memory in tests). */
export interface TailSource {
  start(at: StartAt, only: readonly number[] | null): Promise<void>;
  poll(waitMs: number): Promise<TopicRecord[]>;
  caughtUp(): boolean;
  close(): Promise<void>;
}

export interface TailSummary {
  readonly topic: string;
  readonly records: number;
  readonly lines: number;
  readonly dropped: number;
  readonly undecodable: number;
}

const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

function num(v: Value | undefined): string {
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : 'null';
}

/** Decodes records into lines; keeps the per-partition sequence and per-window values. */
export class TailDecoder {
  private readonly schemas = new SchemaRegistry();
  private readonly last = new Map<number, number>();
  private readonly values = new Map<string, Value>();
  dropped = 0;
  undecodable = 0;

  readonly kind: TailKind;
  readonly dedup: boolean;
  readonly json: boolean;

  constructor(kind: TailKind, dedup: boolean, json: boolean) {
    this.kind = kind;
    this.dedup = dedup;
    this.json = json;
    this.schemas.register(VWAP_OUTPUT_SCHEMA);
  }

  lines(rec: TopicRecord): string[] {
    try {
      if (this.kind === 'output') return this.output(rec);
      if (this.kind === 'late') return this.late(rec);
      return [this.dlq(rec)];
    } catch (e) {
      this.undecodable++;
      const code = (e as ProtocolError).code ?? 'ERROR';
      const reason = e instanceof Error ? e.message : String(e);
      return [
        this.json
          ? `{"partition":${rec.partition},"offset":${rec.offset},"undecodable":${JSON.stringify(code)},"reason":${JSON.stringify(reason)}}`
          : `p${rec.partition} @${rec.offset}  undecodable (${code}): ${reason}`,
      ];
    }
  }

  private output(rec: TopicRecord): string[] {
    const out: string[] = [];
    for (const r of decodeDeltaBatch(rec.value, { schemas: this.schemas }).records) {
      const last = this.last.get(r.partition) ?? 0;
      if (r.sequence <= last && this.dedup) {
        this.dropped++;
        continue;
      }
      if (r.sequence > last) this.last.set(r.partition, r.sequence);
      out.push(this.outputLine(rec, r));
    }
    return out;
  }

  private outputLine(rec: TopicRecord, r: OutputRecord): string {
    const k = `${r.key}\u0000${r.window.startNs}`;
    const v = apply(r.delta, this.values.get(k));
    if (v === undefined) this.values.delete(k);
    else this.values.set(k, v);
    const rv = (v ?? null) as Record<string, Value> | null;
    if (this.json) {
      const fields =
        rv === null ? '' : `,"vwap":${num(rv.vwap)},"volume":${num(rv.volume)},"count":${num(rv.count)}`;
      return `{"partition":${r.partition},"offset":${rec.offset},"seq":${r.sequence},"symbol":${JSON.stringify(r.key)},"window_start_ns":${r.window.startNs},"window_end_ns":${r.window.endNs},"delta":"${r.delta.kind}"${fields}}`;
    }
    const span = `${iso(r.window.startNs)} +${Number((r.window.endNs - r.window.startNs) / 1_000_000n) / 1000}s`;
    const val =
      rv === null
        ? ''
        : `  vwap ${typeof rv.vwap === 'number' ? rv.vwap.toFixed(6) : 'null'}  volume ${num(rv.volume)}  count ${num(rv.count)}`;
    return `p${r.partition} seq ${r.sequence}  ${r.key}  ${span}  ${r.delta.kind}${val}`;
  }

  private late(rec: TopicRecord): string[] {
    return decodeTradeBatch(rec.value).map((t) =>
      this.json
        ? `{"partition":${rec.partition},"offset":${rec.offset},"symbol":${JSON.stringify(t.symbol)},"price":${t.price},"size":${t.size},"timestamp_ns":${t.timestampNs},"venue":${JSON.stringify(t.venue)}}`
        : `p${rec.partition} @${rec.offset}  late  ${formatTrade({ ...t })}`,
    );
  }

  private dlq(rec: TopicRecord): string {
    const code = rec.headers.get('ripple-dlq-code') ?? null;
    const reason = rec.headers.get('ripple-dlq-reason') ?? null;
    const extra = [...rec.headers].filter(
      ([k]) => k.startsWith('ripple-') && k !== 'ripple-dlq-code' && k !== 'ripple-dlq-reason',
    );
    if (this.json)
      return `{"partition":${rec.partition},"offset":${rec.offset},"code":${JSON.stringify(code)},"reason":${JSON.stringify(reason)},"bytes":${rec.value.length},"headers":${JSON.stringify(Object.fromEntries(extra))},"value_hex":${JSON.stringify(rec.value.subarray(0, 64).toString('hex'))}}`;
    return `p${rec.partition} @${rec.offset}  ${code ?? '(no code)'}: ${reason ?? '(no reason)'}  (${rec.value.length} bytes${extra.map(([k, v]) => `, ${k}=${v}`).join('')})`;
  }
}

export async function runTail(
  o: TailOptions,
  io: CommandIo,
  source: TailSource,
  stop: { stopped: boolean } = { stopped: false },
): Promise<TailSummary> {
  const d = new TailDecoder(o.kind, o.dedup, o.json);
  let records = 0;
  let lines = 0;
  try {
    await source.start(o.from, o.partition === null ? null : [o.partition]);
    outer: while (!stop.stopped) {
      if (!o.follow && source.caughtUp()) break;
      const batch = await source.poll(o.follow ? 500 : 100);
      // records in offset order per partition; partitions in turn
      batch.sort(
        (a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0),
      );
      for (const rec of batch) {
        records++;
        let text = '';
        for (const l of d.lines(rec)) {
          text += `${l}\n`;
          if (o.limit !== null && ++lines >= o.limit) {
            io.stdout.write(text);
            break outer;
          }
          if (o.limit === null) lines++;
        }
        if (text !== '' && !io.stdout.write(text)) await new Promise((r) => io.stdout.once('drain', r));
      }
    }
  } finally {
    await source.close();
  }
  const s: TailSummary = { topic: o.topic, records, lines, dropped: d.dropped, undecodable: d.undecodable };
  io.stderr.write(
    o.json
      ? `${JSON.stringify({ summary: s })}\n`
      : `ripple tail: ${records} records of ${o.topic}, ${lines} lines, ${d.dropped} re-emits dropped, ${d.undecodable} undecodable\n`,
  );
  return s;
}

export function kafkaTailSource(o: TailOptions): TailSource {
  return new TopicReader(o.brokers, o.topic);
}
