// The app images deployed into the real single-node Kubernetes that
// infra/k8s/cluster.sh starts (ci overlay: hostNetwork, 127.0.0.1 endpoints),
// against the real Kafka, NATS and S3 of infra/up.sh. The coordinator runs as
// 2 replicas (one active by the NATS KV lease): the active pod is deleted and
// the standby must take over. Trades flow through the
// worker pods (static partitions: p % replicas == ordinal, until the
// coordinator exists), one pod is deleted mid-stream (failover: the StatefulSet
// recreates it and it resumes from its S3 checkpoint), and the output must be
// exactly what the oracle computes. Also: every overlay passes a server-side
// dry run, and the prod overlay binds the apps to 0.0.0.0.
//   bash infra/k8s/cluster.sh up && pnpm images && pnpm test:deploy   (.ci/run does all of it)
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from '../integration/helpers.ts';
import {
  createTopics,
  deleteTopics,
  finalOutputs,
  makeStream,
  PARTITIONS,
  produce,
  readAll,
  SEC,
  streamOracle,
  type Topics,
} from '../integration/worker-harness.ts';
import { coordinatorsActing, dropClusterBuckets, expectExact } from './deploy-helpers.ts';

const env = requireEnv(
  'KUBECTL',
  'KUBECONFIG',
  'KAFKA_BROKERS',
  'NATS_URL',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
);
const brokers = env.KAFKA_BROKERS.split(',');
const NS = 'ripple';
const REPLICAS = 2; // k8s/overlays/ci
const healthPort = (ordinal: number) => 19100 + 10 * ordinal; // k8s/overlays/ci/worker-hostnet.yaml
const COORDINATORS = 2; // k8s/overlays/ci/coordinator.yaml
const coordinatorHealthPorts = [...Array(COORDINATORS).keys()].map((i) => 19201 + 10 * i);
const acting = () => coordinatorsActing(coordinatorHealthPorts);

function kubectl(...args: string[]): string {
  return execFileSync(env.KUBECTL, args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    template?: {
      spec: {
        containers: Array<{
          name: string;
          env?: Array<{ name: string; value?: string }>;
          envFrom?: Array<{ configMapRef?: { name: string } }>;
        }>;
      };
    };
  };
}

/** RIPPLE_HOST per app container as the overlay renders it (env wins over the ConfigMaps). */
function bindHosts(overlay: string): Record<string, string | undefined> {
  const list = JSON.parse(
    kubectl('apply', '--dry-run=server', '-o', 'json', '-k', `k8s/overlays/${overlay}`),
  ) as {
    items: K8sObject[];
  };
  const maps = new Map(
    list.items.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]),
  );
  const out: Record<string, string | undefined> = {};
  for (const o of list.items) {
    for (const c of o.spec?.template?.spec.containers ?? []) {
      let host: string | undefined;
      for (const f of c.envFrom ?? []) host = maps.get(f.configMapRef?.name ?? '')?.RIPPLE_HOST ?? host;
      host = c.env?.find((e) => e.name === 'RIPPLE_HOST')?.value ?? host;
      out[c.name] = host;
    }
  }
  return out;
}

interface Ready {
  state: string;
  details: Array<{ partition: number; nextOffset: string | null }> | null;
}
async function ready(ordinal: number): Promise<Ready | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${healthPort(ordinal)}/ready`)).json()) as Ready;
  } catch {
    return undefined;
  }
}

/** Next offset per partition over every worker pod (undefined while a pod does not answer). */
async function offsets(): Promise<Map<number, bigint> | undefined> {
  const out = new Map<number, bigint>();
  for (let i = 0; i < REPLICAS; i++) {
    const r = await ready(i);
    if (r?.details == null) return undefined;
    for (const d of r.details) out.set(d.partition, BigInt(d.nextOffset ?? '-1'));
  }
  return out;
}

describe('worker image on the local Kubernetes (ci overlay)', () => {
  let topics: Topics | undefined;
  const cluster = `k8s-${uniqueId()}`;
  afterAll(async () => {
    try {
      kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=120s');
    } finally {
      if (topics) await deleteTopics(brokers, topics);
      await dropClusterBuckets(env.NATS_URL, cluster);
    }
  }, 180_000);

  test('trades flow through the worker pods; a deleted pod fails over; output exact', {
    timeout: 15 * 60_000,
  }, async () => {
    const id = uniqueId();
    topics = await createTopics(brokers, `k8s-${id}`);
    const stream = makeStream({
      trades: 200_000,
      symbols: 400,
      tradesPerRecord: 100,
      seed: 11,
      malformedEvery: 250,
    });
    await produce(brokers, topics.input, stream.records);

    // Namespace, credentials (Secret) and per-run keys (ConfigMap ripple-run) before the pods exist.
    kubectl('create', 'namespace', NS);
    kubectl(
      'create',
      'secret',
      'generic',
      'ripple-s3',
      '-n',
      NS,
      `--from-literal=access-key-id=${env.S3_ACCESS_KEY_ID}`,
      `--from-literal=secret-access-key=${env.S3_SECRET_ACCESS_KEY}`,
    );
    // The endpoints of this run's services (the overlay's 127.0.0.1 defaults assume no INFRA_PORT_OFFSET).
    const endpoints = ['KAFKA_BROKERS', 'NATS_URL', 'S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k] as string] as const] : [],
    );
    const run = {
      ...Object.fromEntries(endpoints),
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_S3_PREFIX: `k8s-${id}`,
      RIPPLE_CI_CLUSTER: cluster,
      RIPPLE_WINDOW: '10s',
      RIPPLE_LATENESS: '5s',
      RIPPLE_OUT_OF_ORDERNESS: '1s',
      RIPPLE_MAX_BATCH_RECORDS: '200',
    };
    kubectl(
      'create',
      'configmap',
      'ripple-run',
      '-n',
      NS,
      ...Object.entries(run).map(([k, v]) => `--from-literal=${k}=${v}`),
    );

    // Every manifest of every overlay is accepted by this API server.
    for (const overlay of ['dev', 'prod', 'ci']) {
      const out = kubectl('apply', '--dry-run=server', '-k', `k8s/overlays/${overlay}`);
      expect(out, overlay).toContain('(server dry run)');
    }
    // prod: every app container gets RIPPLE_HOST=0.0.0.0 (from the ConfigMap, not overridden).
    expect(bindHosts('prod')).toEqual({ checkpointer: '0.0.0.0', coordinator: '0.0.0.0', worker: '0.0.0.0' });
    expect(bindHosts('ci')).toEqual({
      checkpointer: '127.0.0.1',
      coordinator: '127.0.0.1',
      worker: '127.0.0.1',
    });

    const t0 = Date.now();
    kubectl('apply', '-k', 'k8s/overlays/ci');
    for (const w of ['statefulset/worker', 'statefulset/coordinator', 'deployment/checkpointer'])
      kubectl('rollout', 'status', w, '-n', NS, '--timeout=240s');
    const readyMs = Date.now() - t0;

    // Coordinator failover: exactly one acting; delete its pod; the standby takes over.
    const before = await eventually('one acting coordinator', 60_000, async () => {
      const a = await acting();
      return a.filter((x) => x === true).length === 1 && a.every((x) => x !== undefined) ? a : undefined;
    });
    const active = before.indexOf(true);
    const standby = 1 - active;
    const tKill = Date.now();
    kubectl('delete', 'pod', `coordinator-${active}`, '-n', NS, '--wait=true', '--timeout=120s');
    await eventually('standby coordinator acting', 60_000, async () =>
      (await acting())[standby] === true ? true : undefined,
    );
    const takeoverMs = Date.now() - tKill;
    kubectl('rollout', 'status', 'statefulset/coordinator', '-n', NS, '--timeout=180s');
    const after = await eventually('the recreated coordinator is standby', 60_000, async () => {
      const a = await acting();
      return a.every((x) => x !== undefined) ? a : undefined;
    });
    expect(after[standby]).toBe(true);
    expect(after[active]).toBe(false);

    // Failover: once worker-1 has made progress, delete it; the StatefulSet recreates it.
    const ends = stream.records.map((r) => BigInt(r.length));
    const mine1 = [...Array(PARTITIONS).keys()].filter((p) => p % REPLICAS === 1);
    await eventually('worker-1 progress', 120_000, async () => {
      const r = await ready(1);
      const moved = r?.details?.some((d) => BigInt(d.nextOffset ?? '-1') > 0n);
      return moved ? true : undefined;
    });
    const uid = kubectl('get', 'pod', 'worker-1', '-n', NS, '-o', 'jsonpath={.metadata.uid}');
    kubectl('delete', 'pod', 'worker-1', '-n', NS, '--wait=true', '--timeout=120s');
    await eventually('worker-1 recreated and Ready', 180_000, async () => {
      const now = kubectl(
        'get',
        'pod',
        'worker-1',
        '-n',
        NS,
        '-o',
        'jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}',
      );
      return now.startsWith(uid) || !now.endsWith('True') ? undefined : true;
    });
    expect((await ready(1))?.details?.map((d) => d.partition).sort()).toEqual(mine1);

    await eventually('every partition consumed', 8 * 60_000, async () => {
      const o = await offsets();
      if (o === undefined || o.size !== PARTITIONS) return undefined;
      return [...o].every(([p, next]) => next >= (ends[p] ?? 0n)) ? true : undefined;
    });
    // Graceful stop of every pod (SIGTERM through the kubelet: drain + final checkpoint).
    kubectl('scale', 'statefulset/worker', '-n', NS, '--replicas=0');
    await eventually('worker pods gone', 120_000, async () =>
      kubectl('get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=worker', '-o', 'name').trim() === ''
        ? true
        : undefined,
    );

    const got = finalOutputs(await readAll(brokers, topics.output));
    const want = streamOracle(stream, 10n * SEC, 5n * SEC, 1n * SEC).windows;
    expectExact(got, want);
    console.log(
      JSON.stringify({
        suite: 'k8s',
        pods: REPLICAS,
        failovers: 1,
        coordinator_takeover_s: takeoverMs / 1000,
        trades: stream.tradeCount,
        windows: got.windows.size,
        duplicate_reemits: got.duplicates,
        rollout_ready_s: readyMs / 1000,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  });
});
