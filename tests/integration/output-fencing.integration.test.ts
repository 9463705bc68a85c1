// Output fencing on the real Kafka (docs/decisions/0005, "Fencing"): the
// worker's KafkaTransactionalSink, one transactional producer per partition.
// When a new owner claims a partition, the previous owner's producer is
// fenced: a zombie's write is refused (dropped and counted, the sink keeps
// serving its other partitions), and what it had in flight in an open
// transaction is aborted, so a read-committed consumer never sees it.
import { Producer } from '@platformatic/kafka';
import { KafkaTransactionalSink, type SinkRecord } from '@ripple/worker';
import { afterAll, describe, expect, test } from 'vitest';
import { requireEnv, uniqueId } from './helpers.ts';
import { createTopics, deleteTopics, readAll, type Topics } from './worker-harness.ts';

const env = requireEnv('KAFKA_BROKERS');
const brokers = env.KAFKA_BROKERS.split(',');

const rec = (topic: string, partition: number, text: string): SinkRecord => ({
  topic,
  partition,
  key: null,
  value: new TextEncoder().encode(text),
  headers: {},
});

describe('output fencing with a transactional producer per partition (real Kafka)', () => {
  const id = uniqueId();
  let topics: Topics | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c().catch(() => {});
    if (topics !== undefined) await deleteTopics(brokers, topics);
  });

  test("a new owner's claim fences the zombie: its writes are refused and its open transaction aborted", async () => {
    topics = await createTopics(brokers, `it-fence-${id}`);
    const out = topics.output;
    const prefix = `it-fence-${id}`;
    const fenced: Array<[number, number]> = [];
    const zombie = new KafkaTransactionalSink({
      brokers,
      clientId: `zombie-${id}`,
      transactionalIdPrefix: prefix,
      onFenced: (p, n) => fenced.push([p, n]),
    });
    closers.push(() => zombie.close());
    await zombie.claim([0, 1]);
    await zombie.send([rec(out, 0, 'old-owner p0 #1'), rec(out, 1, 'old-owner p1 #1')]);

    // An open transaction of the previous owner of partition 0 (records sent, not committed),
    // with the same transactional id, as a paused zombie would leave it.
    const inflight = new Producer({
      clientId: `inflight-${id}`,
      bootstrapBrokers: brokers,
      acks: -1,
      idempotent: true,
      transactionalId: `${prefix}-p2`,
    });
    closers.push(() => inflight.close());
    const tx = await inflight.beginTransaction();
    await tx.send({ messages: [{ topic: out, partition: 2, value: Buffer.from('zombie in flight p2') }] });

    // The new owner claims partitions 0 and 2 (not 1): the epoch bump fences both old producers.
    const owner = new KafkaTransactionalSink({
      brokers,
      clientId: `owner-${id}`,
      transactionalIdPrefix: prefix,
    });
    closers.push(() => owner.close());
    await owner.claim([0, 2]);

    // The zombie resumes: its partition-0 write is refused (dropped, counted); partition 1 is still its own.
    await zombie.send([rec(out, 0, 'zombie p0 late'), rec(out, 1, 'old-owner p1 #2')]);
    expect(fenced).toEqual([[0, 1]]);
    expect(zombie.droppedRecords).toBe(1);
    await zombie.send([rec(out, 0, 'zombie p0 later')]);
    expect(zombie.droppedRecords).toBe(2);
    // The in-flight transaction cannot commit any more.
    await expect(tx.commit()).rejects.toThrow();

    await owner.send([rec(out, 0, 'new-owner p0 #1'), rec(out, 2, 'new-owner p2 #1')]);

    const got = (await readAll(brokers, out))
      .sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1))
      .map((r) => `${r.partition}:${r.value?.toString()}`);
    expect(got).toEqual([
      '0:old-owner p0 #1',
      '0:new-owner p0 #1',
      '1:old-owner p1 #1',
      '1:old-owner p1 #2',
      '2:new-owner p2 #1',
    ]);
    process.stdout.write(
      `${JSON.stringify({ suite: 'output-fencing', zombie_records_refused: zombie.droppedRecords, in_flight_aborted: true })}\n`,
    );
  });
});
