import { Readable, Writable } from 'node:stream';
import {
  DeltaBatchEncoder,
  decodeTradeBatch,
  type StatusResponse,
  TradeBatchEncoder,
} from '@ripple/protocol';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import { describe, expect, it } from 'vitest';
import type { OutRecord, TopicRecord } from '../src/kafka-topic.ts';
import { main } from '../src/main.ts';
import { parseProduceArgs, partitionOf, progressLine, runProduce } from '../src/produce.ts';
import { formatStatus, parseStatusArgs } from '../src/status.ts';
import { parseTailArgs, runTail, type TailSource } from '../src/tail.ts';

class Collect extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const ENV = { KAFKA_BROKERS: '127.0.0.1:1', NATS_URL: 'nats://127.0.0.1:1' };

function io(stdin = '') {
  return {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: new Collect(),
    stderr: new Collect(),
    env: ENV,
  };
}

async function ripple(args: string[], env: Record<string, string> = ENV) {
  const i = { ...io(), env };
  const code = await main(args, i);
  return { code, out: i.stdout.text, err: i.stderr.text };
}

describe('produce, tail, status: --help and misuse', () => {
  it('--help on stdout, exit 0, for each', async () => {
    for (const c of ['produce', 'tail', 'status']) {
      const r = await ripple([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`ripple ${c}:`);
      expect(r.err).toBe('');
    }
  });

  it('bad input: a clear message naming the option, the usage line, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['produce'], /give an input/],
      [['produce', '--synthetic', '10', '--rate', 'fast'], /--rate: "fast" is not a number >= 0/],
      [['produce', '--stdin', '--symbols', '3'], /--symbols applies to --synthetic/],
      [['produce', '--synthetic', '5', '--brokers', 'nohost'], /--brokers: "nohost" is not HOST:PORT/],
      [['tail', '--topic', 'input'], /--topic: "input" is not one of output, dlq, late/],
      [['tail', '--from', 'yesterday'], /--from: "yesterday"/],
      [['tail', '--topic', 'dlq', '--dedup'], /--dedup applies to --topic output/],
      [['tail', '--folow'], /unknown option --folow \(did you mean --follow\?\)/],
      [['status', '--url', 'localhost:9200'], /not an http\(s\) URL/],
      [['status', '--timeout', '5'], /--timeout: "5" has no unit/],
    ];
    for (const [args, msg] of cases) {
      const r = await ripple(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain(`usage: pnpm ripple ${args[0]}`);
      expect(r.out).toBe('');
    }
  });

  it('no service endpoint: says what to set', async () => {
    expect((await ripple(['produce', '--synthetic', '5'], {})).err).toMatch(
      /set KAFKA_BROKERS.*source infra\/.run\/env/,
    );
    expect((await ripple(['tail'], {})).err).toMatch(/no Kafka brokers/);
    expect((await ripple(['status'], {})).err).toMatch(/set NATS_URL/);
  });

  it('an unreachable service is exit 1 with the service named', async () => {
    const r = await ripple(['status', '--url', 'http://127.0.0.1:1', '--timeout', '2s']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/coordinator http:\/\/127\.0\.0\.1:1\/status/);
  });
});

describe('ripple produce (memory target)', () => {
  function target(partitions: number) {
    const sent: OutRecord[] = [];
    return {
      sent,
      t: {
        partitions: async () => partitions,
        send: async (r: readonly OutRecord[]) => {
          sent.push(...r);
        },
        close: async () => {},
      },
    };
  }

  it('every trade once, each symbol on its hash partition in order; frames decode', async () => {
    const o = parseProduceArgs(['--synthetic', '5000', '--symbols', '13', '--batch', '64'], ENV);
    if (o === null) throw new Error('help');
    const { sent, t } = target(4);
    const i = io();
    const s = await runProduce(o, i, { now: () => 0, sleep: async () => {}, target: t });
    expect(s).toMatchObject({ trades: 5000, partitions: 4, badLines: 0 });
    const byPartition = new Map<number, string[]>();
    for (const r of sent) {
      const trades = decodeTradeBatch(r.value);
      expect(trades.length).toBeLessThanOrEqual(64);
      for (const tr of trades) {
        expect(partitionOf(tr.symbol, 4)).toBe(r.partition);
        byPartition.set(r.partition, [
          ...(byPartition.get(r.partition) ?? []),
          `${tr.symbol}@${tr.timestampNs}`,
        ]);
      }
    }
    const all = [...byPartition.values()].flat();
    expect(all.length).toBe(5000);
    for (const list of byPartition.values()) {
      const ts = list.map((x) => BigInt(x.split('@')[1] as string));
      expect(ts).toEqual([...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    expect(i.stderr.text).toMatch(/5000 trades in \d+ records/);
  });

  it('--rate: sleeps so that trades go out at the rate (fake clock)', async () => {
    const o = parseProduceArgs(['--synthetic', '3000', '--rate', '1000'], ENV);
    if (o === null) throw new Error('help');
    let now = 0;
    const { t } = target(2);
    const s = await runProduce(o, io(), {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      target: t,
    });
    expect(s.seconds).toBeCloseTo(3, 5);
    expect(s.tradesPerSec).toBe(1000);
  });

  it('CSV on stdin with a header and a bad line; --json summary on stdout', async () => {
    const o = parseProduceArgs(['--stdin', '--json'], ENV);
    if (o === null) throw new Error('help');
    const { sent, t } = target(3);
    const i = io('symbol,price,size,timestamp_ns,venue\nA,1,1,5,X\nbad\nB,2,2,6,X\n');
    await runProduce(o, i, { now: () => 0, sleep: async () => {}, target: t });
    expect(JSON.parse(i.stdout.text)).toMatchObject({ trades: 2, badLines: 1 });
    expect(
      sent
        .flatMap((r) => decodeTradeBatch(r.value))
        .map((x) => x.symbol)
        .sort(),
    ).toEqual(['A', 'B']);
  });

  it('progress line: bar, total, rate, ETA; no bar without a total', () => {
    expect(progressLine(500, 1000, 100)).toMatch(
      /^\[#{12}\.{12}\] {2}50% {2}500\/1000 trades {2}100\/s {2}ETA 5s/,
    );
    expect(progressLine(500, null, 2500)).toMatch(/^500 trades {2}2\.5k\/s/);
  });
});

describe('ripple tail (memory source)', () => {
  function outputFrame(partition: number, seqs: number[], key = 'AAA'): Buffer {
    const enc = new DeltaBatchEncoder(VWAP_OUTPUT_SCHEMA);
    for (const seq of seqs)
      enc.add({
        key,
        partition,
        sequence: seq,
        window: { startNs: 1_700_000_000_000_000_000n, endNs: 1_700_000_010_000_000_000n },
        delta: {
          kind: 'set',
          value: {
            symbol: key,
            window_start_ns: 1_700_000_000_000_000_000n,
            window_end_ns: 1_700_000_010_000_000_000n,
            vwap: 10 + seq,
            volume: seq,
            count: seq,
          },
        },
      });
    const f = enc.finish({ sequence: 0 });
    return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  }

  function source(records: TopicRecord[]): TailSource {
    let done = false;
    return {
      start: async () => {},
      poll: async () => {
        if (done) return [];
        done = true;
        return records;
      },
      caughtUp: () => done,
      close: async () => {},
    };
  }

  const rec = (
    partition: number,
    offset: number,
    value: Buffer,
    headers = new Map<string, string>(),
  ): TopicRecord => ({
    partition,
    offset: BigInt(offset),
    timestampMs: 0n,
    value,
    headers,
  });

  it('--dedup drops re-emits by sequence (the consumer contract); without it they are shown', async () => {
    const records = [
      rec(0, 0, outputFrame(0, [1, 2])),
      rec(0, 1, outputFrame(0, [2, 3])), // 2 is a re-emit
      rec(1, 0, outputFrame(1, [1])),
      rec(1, 1, Buffer.from('garbage')),
    ];
    const o = parseTailArgs(['--dedup', '--json'], ENV);
    if (o === null) throw new Error('help');
    const i = io();
    const s = await runTail(o, i, source(records));
    const lines = i.stdout.text.trim().split('\n');
    expect(s).toMatchObject({ records: 4, dropped: 1, undecodable: 1 });
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.filter((l) => l.seq !== undefined).map((l) => `${l.partition}:${l.seq}`)).toEqual([
      '0:1',
      '0:2',
      '0:3',
      '1:1',
    ]);
    expect(lines[0]).toContain('"window_start_ns":1700000000000000000'); // exact integer
    expect(parsed.at(-1)).toMatchObject({ partition: 1, offset: 1, undecodable: 'PROTO_BAD_MAGIC' });
    const plain = parseTailArgs([], ENV);
    if (plain === null) throw new Error('help');
    const j = io();
    await runTail(plain, j, source(records));
    expect(j.stdout.text).toMatch(
      /^p0 seq 2 {2}AAA {2}2023-11-14T22:13:20\.000Z \+10s {2}set {2}vwap 12\.000000 {2}volume 2 {2}count 2$/m,
    );
    expect(j.stdout.text.match(/^p0 seq 2 /gm)?.length).toBe(2);
  });

  it('late and dlq topics', async () => {
    const t = { symbol: 'LATE', price: 1.5, size: 3, timestampNs: 42n, venue: 'X' };
    const enc = new TradeBatchEncoder();
    enc.add(t);
    const lateFrame = enc.finish({ sequence: 0 });
    const late = parseTailArgs(['--topic', 'late'], ENV);
    if (late === null) throw new Error('help');
    const i = io();
    await runTail(late, i, source([rec(2, 7, Buffer.from(lateFrame))]));
    expect(i.stdout.text).toBe('p2 @7  late  LATE,1.5,3,42,X\n');
    const dlq = parseTailArgs(['--topic', 'dlq', '--limit', '1'], ENV);
    if (dlq === null) throw new Error('help');
    const j = io();
    const headers = new Map([
      ['ripple-dlq-code', 'malformed'],
      ['ripple-dlq-reason', 'not a RIPP frame'],
      ['ripple-source-offset', '9'],
    ]);
    await runTail(
      dlq,
      j,
      source([rec(0, 0, Buffer.from('xx'), headers), rec(0, 1, Buffer.from('yy'), headers)]),
    );
    expect(j.stdout.text).toBe('p0 @0  malformed: not a RIPP frame  (2 bytes, ripple-source-offset=9)\n');
  });
});

describe('ripple status (formatting)', () => {
  it('workers, partitions as ranges, summed lag, moving partitions, rebalances with trace ids', () => {
    const s: StatusResponse = {
      type: 'status_response',
      v: 1,
      requestId: 'x',
      leaderId: 'coord-0',
      epoch: 7,
      numPartitions: 8,
      workers: [
        { workerId: 'w-b', state: 'active', partitions: [4, 5, 6], lastHeartbeatMs: 9_000 },
        { workerId: 'w-a', state: 'active', partitions: [0, 1, 2], lastHeartbeatMs: 9_500 },
      ],
      unassigned: [7],
      partitions: [
        { partition: 0, workerId: 'w-a', epoch: 7, lag: 10, movingTo: null },
        { partition: 1, workerId: 'w-a', epoch: 7, lag: 5, movingTo: null },
        { partition: 3, workerId: 'w-a', epoch: 7, lag: null, movingTo: 'w-b' },
      ],
      rebalances: [
        {
          rebalanceId: 'rb-2',
          epoch: 7,
          reason: 'member_joined',
          moves: 3,
          startedAtMs: 1000,
          finishedAtMs: 1250,
          traceId: 'abc123',
        },
      ],
    };
    const text = formatStatus(s, 10_000);
    expect(text).toMatch(
      /^coordinator coord-0 {2}epoch 7 {2}partitions 8 {2}workers 2 {2}unassigned 1 {2}moving 1$/m,
    );
    expect(text).toMatch(/^w-a +active +3 +15 +0\.5s ago +0-2$/m);
    expect(text).toMatch(/^w-b +active +3 +- +1\.0s ago +4-6$/m);
    expect(text).toContain('moving: 3 w-a -> w-b');
    expect(text).toMatch(/rb-2 +7 +member_joined +3 +0\.25s +abc123/);
    expect(parseStatusArgs(['--json'], { NATS_URL: 'nats://x:4222' })?.via).toEqual({
      kind: 'nats',
      url: 'nats://x:4222',
    });
  });
});

describe('ripple status over the embedded hub (pnpm start)', () => {
  it('asks the coordinator through ripple-hub:SOCKET', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { HubClient, HubServer } = await import('@ripple/cluster-local');
    const { clusterSubjects, encodeControlMessage } = await import('@ripple/protocol');
    const sock = join(mkdtempSync(join(tmpdir(), 'ripple-cli-hub-')), 'hub.sock');
    const server = await HubServer.listen(sock);
    const coordinator = await HubClient.connect(sock);
    try {
      coordinator.bus.subscribe(clusterSubjects('start').status, (m) =>
        m.respond?.(
          encodeControlMessage({
            type: 'status_response',
            v: 1,
            requestId: 'x',
            leaderId: 'coordinator',
            epoch: 4,
            numPartitions: 8,
            workers: [],
            unassigned: [0, 1, 2, 3, 4, 5, 6, 7],
          }),
        ),
      );
      await coordinator.bus.flush();
      await new Promise((r) => setTimeout(r, 20));
      const r = await ripple(['status', '--nats', `ripple-hub:${sock}`, '--cluster', 'start']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(
        /^coordinator coordinator {2}epoch 4 {2}partitions 8 {2}workers 0 {2}unassigned 8/,
      );
    } finally {
      coordinator.close();
      await server.close();
    }
  });
});
