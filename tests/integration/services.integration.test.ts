// Smoke suite against the real services of infra/up.sh: Kafka, NATS +
// JetStream, S3 (Ceph RGW) and Jaeger. Run with `pnpm test:integration` after
// `pnpm infra:up && source infra/.run/env`. Endpoints come from the
// environment only; a missing variable fails the suite, it never skips.
// Every test works on names of its own (topic, subject, KV bucket, key
// prefix, trace id) and removes what it created.

import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from './helpers.ts';

describe('kafka', () => {
  let brokers: string[];
  let admin: Admin;
  const topics: string[] = [];

  beforeAll(() => {
    brokers = requireEnv('KAFKA_BROKERS').KAFKA_BROKERS.split(',');
    admin = new Admin({ clientId: 'ripple-it', bootstrapBrokers: brokers });
  });
  afterAll(async () => {
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin?.close();
  });

  test('produce and consume a round trip on a fresh topic, from an explicit partition and offset', async () => {
    const topic = `it-kafka-${uniqueId()}`;
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    topics.push(topic);
    const producer = new Producer({ clientId: 'ripple-it', bootstrapBrokers: brokers, acks: -1 });
    const consumer = new Consumer({
      clientId: 'ripple-it',
      groupId: `it-${uniqueId()}`,
      bootstrapBrokers: brokers,
    });
    try {
      const sent = ['a', 'b', 'c'].map((v) => Buffer.from(`value-${v}`));
      await producer.send({
        messages: sent.map((value, i) => ({
          topic,
          partition: 1,
          key: Buffer.from(`k${i}`),
          value,
          headers: new Map([
            [
              Buffer.from('traceparent'),
              Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
            ],
          ]),
        })),
      });
      const meta = await consumer.metadata({ topics: [topic] });
      const t = meta.topics.get(topic)!;
      const got = await eventually('fetch', 15_000, async () => {
        const res = await consumer.fetch({
          node: t.partitions[1]!.leader,
          topics: [
            {
              topicId: t.id,
              partitions: [
                {
                  partition: 1,
                  fetchOffset: 0n,
                  currentLeaderEpoch: t.partitions[1]!.leaderEpoch,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes: 1 << 20,
        });
        const records = (res.responses[0]?.partitions[0]?.records ?? []).flatMap((b) =>
          b.records.map((r) => ({ offset: b.firstOffset + BigInt(r.offsetDelta), ...r })),
        );
        return records.length >= sent.length ? records : undefined;
      });
      expect(got.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
      expect(got.map((r) => r.value?.toString())).toEqual(sent.map((v) => v.toString()));
      expect(got.map((r) => r.key?.toString())).toEqual(['k0', 'k1', 'k2']);
      expect(got[0]!.headers.map(([k]) => k?.toString())).toEqual(['traceparent']);
    } finally {
      await producer.close();
      await consumer.close(true);
    }
  });
});

describe('nats', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: requireEnv('NATS_URL').NATS_URL, name: 'ripple-it' });
  });
  afterAll(async () => {
    await nc?.drain();
  });

  test('request/reply on a unique subject', async () => {
    const subject = `ripple.it.${uniqueId()}.echo`;
    const sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) msg.respond(`pong:${msg.string()}`);
      },
    });
    try {
      await nc.flush();
      const reply = await nc.request(subject, 'ping', { timeout: 5_000 });
      expect(reply.string()).toBe('pong:ping');
    } finally {
      sub.unsubscribe();
    }
  });

  test('JetStream KV put/get on a fresh bucket', async () => {
    const kv = await new Kvm(nc).create(`ripple_it_${uniqueId().replace(/-/g, '_')}`, { history: 2 });
    try {
      const rev1 = await kv.put('lease.coordinator', 'worker-1');
      const rev2 = await kv.put('lease.coordinator', 'worker-2');
      expect(rev2).toBeGreaterThan(rev1);
      const e = await kv.get('lease.coordinator');
      expect(e?.string()).toBe('worker-2');
      expect(e?.revision).toBe(rev2);
      // Compare-and-set on a stale revision is refused: what leases rely on.
      await expect(kv.update('lease.coordinator', 'worker-3', rev1)).rejects.toThrow();
    } finally {
      await kv.destroy();
    }
  });
});

describe('s3', () => {
  let s3: S3Client;
  let bucket: string;
  const prefix = `it/${uniqueId()}/`;

  beforeAll(() => {
    const env = requireEnv(
      'S3_ENDPOINT',
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
      'S3_BUCKET',
    );
    bucket = env.S3_BUCKET;
    s3 = new S3Client({
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    if (!s3) return;
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    for (const o of left.Contents ?? [])
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    s3.destroy();
  });

  test('put, get, list and delete objects under a unique prefix', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const small = Buffer.from('{"manifest":1}');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}snapshot.bin`, Body: big }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}manifest.json`,
        Body: small,
        ContentType: 'application/json',
      }),
    );

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}snapshot.bin` }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).toBe(true);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    expect((listed.Contents ?? []).map((o) => [o.Key, o.Size]).sort()).toEqual([
      [`${prefix}manifest.json`, small.length],
      [`${prefix}snapshot.bin`, big.length],
    ]);

    for (const key of ['snapshot.bin', 'manifest.json']) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}${key}` }));
    }
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    expect(after.KeyCount ?? 0).toBe(0);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}snapshot.bin` })),
    ).rejects.toThrow();
  });
});

describe('jaeger', () => {
  // Jaeger's in-memory store has no delete API: the trace lives under a
  // service name of its own and goes when Jaeger stops.
  test('accepts an OTLP/HTTP trace and returns it from the query API', async () => {
    const env = requireEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'JAEGER_QUERY_URL');
    const traceId = randomBytes(16).toString('hex');
    const rootSpan = randomBytes(8).toString('hex');
    const child = randomBytes(8).toString('hex');
    const service = `ripple-it-${uniqueId()}`;
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string, name: string, parentSpanId?: string) => ({
      traceId,
      spanId,
      ...(parentSpanId ? { parentSpanId } : {}),
      name,
      kind: 1,
      startTimeUnixNano: String(startNs),
      endTimeUnixNano: String(startNs + 5_000_000n),
      attributes: [{ key: 'ripple.partition', value: { intValue: '7' } }],
    });
    const res = await fetch(`${env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeSpans: [
              {
                scope: { name: 'ripple-it' },
                spans: [span(rootSpan, 'rebalance'), span(child, 'restore-snapshot', rootSpan)],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);

    interface JaegerTrace {
      traceID: string;
      spans: { spanID: string; operationName: string; processID: string }[];
      processes: Record<string, { serviceName: string }>;
    }
    const trace = await eventually('trace in the query API', 15_000, async () => {
      const r = await fetch(`${env.JAEGER_QUERY_URL}/api/traces/${traceId}`);
      if (r.status !== 200) return undefined;
      const body = (await r.json()) as { data?: JaegerTrace[] };
      const t = body.data?.[0];
      return t && t.spans.length === 2 ? t : undefined;
    });
    expect(trace.traceID).toBe(traceId);
    expect(trace.spans.map((s) => s.operationName).sort()).toEqual(['rebalance', 'restore-snapshot']);
    expect(Object.values(trace.processes).map((p) => p.serviceName)).toContain(service);
  });
});
