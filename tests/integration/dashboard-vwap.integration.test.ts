/**
 * The dashboard's VWAP table against the real Kafka: the coordinator's
 * OutputTopicReader reads an output topic (read committed, a backfill before
 * each partition's end) into a VwapBoard that applies the consumer contract.
 * Checked: values from committed frames; a re-emit (a sequence already
 * applied, carrying an older value) never brings a value back; a transaction
 * that was aborted (a fenced zombie's output) is never shown; a reader
 * restarted on the same board reads its backfill again without a change;
 * a broker that is not there is reported on the board and retried.
 */
import { Producer } from '@platformatic/kafka';
import type { Logger } from '@ripple/cluster';
import { OutputTopicReader, VwapBoard } from '@ripple/coordinator';
import { DeltaBatchEncoder, SchemaRegistry } from '@ripple/protocol';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, requireEnv, uniqueId } from './helpers.ts';
import { createTopics, deleteTopics, produce, type Topics } from './worker-harness.ts';

const { KAFKA_BROKERS } = requireEnv('KAFKA_BROKERS');
const brokers = KAFKA_BROKERS.split(',');
const SEC = 1_000_000_000n;
const T0 = 1_700_000_000n * SEC;

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** One DeltaBatch frame: `Set` of the (symbol, window T0) value with `vwap`, at `seq`. */
function frame(partition: number, symbol: string, seq: number, vwap: number): Buffer {
  const enc = new DeltaBatchEncoder(VWAP_OUTPUT_SCHEMA);
  enc.add({
    key: symbol,
    partition,
    sequence: seq,
    window: { startNs: T0, endNs: T0 + 10n * SEC },
    delta: {
      kind: 'set',
      value: { symbol, window_start_ns: T0, window_end_ns: T0 + 10n * SEC, vwap, volume: 100, count: seq },
    },
  });
  return Buffer.from(enc.finish({ sequence: seq }));
}

function board(): VwapBoard {
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  return new VwapBoard(schemas);
}

const vwapOf = (b: VwapBoard, symbol: string) =>
  b.view(symbol, 10).rows.find((r) => r.symbol === symbol)?.vwap;

describe('dashboard VWAP table on the real Kafka', () => {
  let topics: Topics;
  const readers: OutputTopicReader[] = [];

  beforeAll(async () => {
    topics = await createTopics(brokers, `dash-vwap-${uniqueId()}`);
  }, 60_000);

  afterAll(async () => {
    for (const r of readers) await r.close();
    await deleteTopics(brokers, topics);
  });

  it('applies committed frames by sequence: re-emits and aborted transactions never show', async () => {
    const topic = topics.output;
    await produce(brokers, topic, [
      [frame(0, 'AAA', 1, 10), frame(0, 'AAA', 2, 11)],
      [frame(1, 'BBB', 1, 50)],
    ]);
    const b = board();
    const start = (backfill?: number) => {
      const r = new OutputTopicReader({
        brokers,
        topic,
        groupId: `dash-vwap-it-${uniqueId()}`,
        board: b,
        logger: silent,
        ...(backfill === undefined ? {} : { backfill }),
      });
      readers.push(r);
      r.start();
      return r;
    };
    const first = start();
    await eventually('the backfill read', 30_000, async () =>
      vwapOf(b, 'AAA') === 11 && vwapOf(b, 'BBB') === 50 ? true : undefined,
    );
    expect(b.source).toBe(`output topic ${topic}, read committed`);

    // a re-emit of sequence 2 carrying an older value, then sequence 3
    await produce(brokers, topic, [[frame(0, 'AAA', 2, 9), frame(0, 'AAA', 3, 12)]]);
    await eventually('sequence 3 applied', 30_000, async () => (vwapOf(b, 'AAA') === 12 ? true : undefined));
    expect(b.view('', 10).dropped).toBe(1);

    // a transaction aborted (as a fenced zombie's is), then the same sequence committed
    const producer = new Producer({
      clientId: 'dash-vwap-it',
      bootstrapBrokers: brokers,
      acks: -1,
      idempotent: true,
      transactionalId: `dash-vwap-it-${uniqueId()}`,
      producerId: -1n,
      producerEpoch: -1,
    });
    try {
      const aborted = await producer.beginTransaction();
      await aborted.send({ messages: [{ topic, partition: 0, value: frame(0, 'AAA', 4, 666) }] });
      await aborted.abort();
      const committed = await producer.beginTransaction();
      await committed.send({ messages: [{ topic, partition: 0, value: frame(0, 'AAA', 4, 13) }] });
      await committed.commit();
    } finally {
      await producer.close();
    }
    await eventually('the committed sequence 4 applied', 30_000, async () =>
      vwapOf(b, 'AAA') === 13 ? true : undefined,
    );
    expect(b.view('', 10)).toMatchObject({ applied: 5, dropped: 1 });

    // a restart reads the backfill again: every record is a re-emit, nothing changes
    await first.close();
    start();
    await eventually('the backfill read again', 30_000, async () =>
      b.view('', 10).dropped >= 7 ? true : undefined,
    );
    expect(b.view('', 10)).toMatchObject({ applied: 5, dropped: 7 });
    expect([vwapOf(b, 'AAA'), vwapOf(b, 'BBB')]).toEqual([13, 50]);
  }, 120_000);

  it('says when Kafka cannot be reached, and keeps retrying', async () => {
    const b = board();
    const r = new OutputTopicReader({
      brokers: ['127.0.0.1:1'],
      topic: 'vwap-output',
      groupId: `dash-vwap-it-${uniqueId()}`,
      board: b,
      logger: silent,
    });
    readers.push(r);
    r.start();
    await eventually('reported unavailable', 30_000, async () =>
      b.source.startsWith('Kafka unavailable') ? true : undefined,
    );
  }, 60_000);
});
