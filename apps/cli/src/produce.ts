/**
 * `ripple produce`: trades (synthetic or CSV) into the input topic as
 * `TradeBatch` frames, each symbol always on the same partition
 * (hash32(symbol) mod partitions, so a symbol's trades stay in order), at a
 * steady rate if asked, with a progress line (rate, total, ETA).
 */
import { open } from 'node:fs/promises';
import { hash32 } from '@ripple/cluster';
import { TradeBatchEncoder } from '@ripple/protocol';
import type { Source } from '@ripple/stream';
import { type BadLine, syntheticBatches, type Trade } from '@ripple/trades';
import type { TimestampUnit } from './args.ts';
import type { CommandIo } from './commands.ts';
import { UsageError } from './errors.ts';
import { CsvTradeSource } from './io.ts';
import { ensureTopic, type OutRecord, TopicWriter } from './kafka-topic.ts';
import { flag, nonNegativeNumber, oneOf, parse, positiveInt, str } from './parse.ts';
import { kafkaBrokers, topics } from './services.ts';

export const PRODUCE_HELP = `ripple produce: trades into the input topic (TradeBatch frames).

Usage:
  pnpm ripple produce (--synthetic N | --file PATH | --stdin) [options]

Input (exactly one):
  --synthetic N         N deterministic trades (the stream of \`ripple vwap --synthetic\`)
  --symbols N           distinct symbols of --synthetic (default 100)
  --file PATH           trades from a CSV file (the format of \`ripple vwap --help\`)
  --stdin               trades from standard input
  --timestamp-unit ns|us|ms|s   unit of CSV timestamps (default ns; ms-looking input is refused)

Where:
  --brokers LIST        Kafka bootstrap brokers (default $KAFKA_BROKERS)
  --topic NAME          input topic (default $RIPPLE_INPUT_TOPIC or trades)
  --create N            create the topic with N partitions when it does not exist
  Each symbol goes to partition hash32(symbol) mod partitions, so its trades keep their order.

How:
  --rate R              trades per second, steady (default 0 = as fast as the broker takes them)
  --batch N             trades per record (default 500)
  --progress auto|always|never   progress line on stderr (rate, total, ETA); auto = on a terminal
  --json                the summary as one JSON line on stdout

Bad CSV lines are reported on stderr (first 100), counted and skipped.
Exit status: 0 success, 1 Kafka unreachable or input unreadable, 2 misuse.
`;

export interface ProduceOptions {
  readonly input:
    | { readonly kind: 'synthetic'; readonly events: number; readonly symbols: number }
    | { readonly kind: 'file'; readonly path: string }
    | { readonly kind: 'stdin' };
  readonly timestampUnit: TimestampUnit | null;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly create: number | null;
  readonly rate: number;
  readonly batch: number;
  readonly progress: 'auto' | 'always' | 'never';
  readonly json: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseProduceArgs(args: readonly string[], env: Env): ProduceOptions | null {
  const p = parse(args, {
    help: { type: 'boolean', short: 'h' },
    synthetic: { type: 'string' },
    symbols: { type: 'string' },
    file: { type: 'string' },
    stdin: { type: 'boolean' },
    'timestamp-unit': { type: 'string' },
    brokers: { type: 'string' },
    topic: { type: 'string' },
    create: { type: 'string' },
    rate: { type: 'string' },
    batch: { type: 'string' },
    progress: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flag(p, 'help')) return null;
  const inputs: ProduceOptions['input'][] = [];
  const syn = str(p, 'synthetic');
  if (syn !== undefined)
    inputs.push({ kind: 'synthetic', events: positiveInt(syn, '--synthetic'), symbols: 100 });
  const file = str(p, 'file');
  if (file !== undefined) inputs.push({ kind: 'file', path: file });
  if (flag(p, 'stdin')) inputs.push({ kind: 'stdin' });
  if (inputs.length !== 1)
    throw new UsageError(
      inputs.length === 0 ? 'give an input: --synthetic N, --file PATH or --stdin' : 'give exactly one input',
      'input',
    );
  let input = inputs[0] as ProduceOptions['input'];
  const symbols = str(p, 'symbols');
  if (symbols !== undefined) {
    if (input.kind !== 'synthetic')
      throw new UsageError('--symbols applies to --synthetic input only', '--symbols');
    input = { ...input, symbols: positiveInt(symbols, '--symbols', 1_000_000) };
  }
  const unit = str(p, 'timestamp-unit');
  if (unit !== undefined && input.kind === 'synthetic')
    throw new UsageError('--timestamp-unit applies to CSV input only', '--timestamp-unit');
  const create = str(p, 'create');
  const rate = str(p, 'rate');
  const batch = str(p, 'batch');
  const progress = str(p, 'progress');
  return {
    input,
    timestampUnit:
      unit === undefined ? null : oneOf(unit, '--timestamp-unit', ['ns', 'us', 'ms', 's'] as const),
    brokers: kafkaBrokers(p, env),
    topic: str(p, 'topic') ?? topics(env).input,
    create: create === undefined ? null : positiveInt(create, '--create', 100_000),
    rate: rate === undefined ? 0 : nonNegativeNumber(rate, '--rate'),
    batch: batch === undefined ? 500 : positiveInt(batch, '--batch', 100_000),
    progress:
      progress === undefined ? 'auto' : oneOf(progress, '--progress', ['auto', 'always', 'never'] as const),
    json: flag(p, 'json'),
  };
}

/** Where the records go (Kafka in production, memory in tests). */
export interface ProduceTarget {
  partitions(): Promise<number>;
  send(records: readonly OutRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface ProduceDeps {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly target: ProduceTarget;
}

export interface ProduceSummary {
  readonly topic: string;
  readonly trades: number;
  readonly records: number;
  readonly badLines: number;
  readonly partitions: number;
  readonly seconds: number;
  readonly tradesPerSec: number;
}

export function partitionOf(symbol: string, partitions: number): number {
  return hash32(symbol) % partitions;
}

export async function runProduce(
  o: ProduceOptions,
  io: CommandIo,
  deps: ProduceDeps,
): Promise<ProduceSummary> {
  const partitions = await deps.target.partitions();
  let badLines = 0;
  const onBad = (b: BadLine) => {
    badLines++;
    if (badLines <= 100) io.stderr.write(`line ${b.line}: ${b.reason}: ${b.text}\n`);
    if (badLines === 101) io.stderr.write('further bad lines are counted only\n');
  };
  const input = o.input;
  const total = input.kind === 'synthetic' ? input.events : null;
  const source: Source<Trade> =
    input.kind === 'synthetic'
      ? {
          name: 'synthetic',
          async *batches() {
            yield* syntheticBatches(0, input.events, { symbols: input.symbols, batchSize: 4096 });
          },
        }
      : new CsvTradeSource(
          input.kind === 'file' ? input.path : 'stdin',
          input.kind === 'file'
            ? async () => (await open(input.path, 'r')).createReadStream({ highWaterMark: 1 << 16 })
            : async () => io.stdin,
          onBad,
          { timestampUnit: o.timestampUnit },
        );
  // With a rate, send about ten times a second so the rate is steady.
  const chunk = o.rate > 0 ? Math.max(1, Math.min(o.batch, Math.ceil(o.rate / 10))) : o.batch;
  const showProgress = o.progress === 'always' || (o.progress === 'auto' && io.stderr.isTTY === true);
  const t0 = deps.now();
  let sent = 0;
  let records = 0;
  let lastShown = t0;
  const seq = new Array<number>(partitions).fill(0);
  const pending: Trade[][] = Array.from({ length: partitions }, () => []);
  let pendingCount = 0;

  const flush = async () => {
    const out: OutRecord[] = [];
    for (let p = 0; p < partitions; p++) {
      const list = pending[p] as Trade[];
      for (let i = 0; i < list.length; i += o.batch) {
        const enc = new TradeBatchEncoder();
        for (const t of list.slice(i, i + o.batch)) enc.add(t);
        const frame = enc.finish({ sequence: seq[p] as number });
        seq[p] = (seq[p] as number) + 1;
        out.push({ partition: p, value: Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength) });
      }
      pending[p] = [];
    }
    await deps.target.send(out);
    records += out.length;
    sent += pendingCount;
    pendingCount = 0;
    if (o.rate > 0) {
      const due = t0 + (sent / o.rate) * 1000;
      const wait = due - deps.now();
      if (wait > 0) await deps.sleep(wait);
    }
    const now = deps.now();
    if (showProgress && now - lastShown >= 250) {
      lastShown = now;
      io.stderr.write(`\r${progressLine(sent, total, (sent * 1000) / Math.max(1, now - t0))}`);
    }
  };

  for await (const batch of source.batches()) {
    for (const t of batch) {
      (pending[partitionOf(t.symbol, partitions)] as Trade[]).push(t);
      if (++pendingCount >= chunk) await flush();
    }
  }
  if (pendingCount > 0) await flush();
  await deps.target.close();
  const seconds = (deps.now() - t0) / 1000;
  const summary: ProduceSummary = {
    topic: o.topic,
    trades: sent,
    records,
    badLines,
    partitions,
    seconds,
    tradesPerSec: Math.round(sent / Math.max(seconds, 1e-9)),
  };
  if (showProgress) io.stderr.write(`\r${progressLine(sent, total, summary.tradesPerSec)}\n`);
  if (o.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    io.stderr.write(
      `ripple produce: ${sent} trades in ${records} records to ${o.topic} (${partitions} partitions), ${badLines} bad line(s), ${seconds.toFixed(1)} s, ${summary.tradesPerSec} trades/s\n`,
    );
  return summary;
}

/** `[#####.....]  45%  450000/1000000 trades  10.0k/s  ETA 55s` (no bar without a known total). */
export function progressLine(done: number, total: number | null, rate: number): string {
  const r =
    rate >= 1e6
      ? `${(rate / 1e6).toFixed(2)}M/s`
      : rate >= 1e3
        ? `${(rate / 1e3).toFixed(1)}k/s`
        : `${rate.toFixed(0)}/s`;
  if (total === null) return `${done} trades  ${r}   `;
  const frac = total === 0 ? 1 : Math.min(1, done / total);
  const width = 24;
  const filled = Math.round(frac * width);
  const eta = rate > 0 ? Math.ceil((total - done) / rate) : null;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${done}/${total} trades  ${r}  ETA ${eta === null ? '?' : `${eta}s`}   `;
}

/** The Kafka target of `ripple produce` (creates the topic first with --create). */
export function kafkaTarget(o: ProduceOptions): ProduceTarget {
  const writer = new TopicWriter(o.brokers, o.topic);
  return {
    async partitions() {
      const t = await ensureTopic(o.brokers, o.topic, o.create);
      if (t.partitions === 0)
        throw new UsageError(
          `topic ${JSON.stringify(o.topic)} does not exist (--create N creates it)`,
          '--topic',
        );
      return t.partitions;
    },
    send: (records) => writer.send(records),
    close: () => writer.close(),
  };
}
