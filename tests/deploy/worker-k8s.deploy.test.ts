// The app images deployed into the real single-node Kubernetes that
// infra/k8s/cluster.sh starts (ci overlay: hostNetwork, 127.0.0.1 endpoints),
// against the real Kafka, NATS and S3 of infra/up.sh: 2 coordinators (one
// active by the NATS KV lease), the checkpointer, and 3 workers in cluster
// mode (partitions from the coordinator). While trades flow in: the active
// coordinator's pod is deleted (the standby takes over), `kubectl scale
// statefulset/worker --replicas=4` (a rebalance: only partitions moving to the
// new worker move), `kubectl delete pod worker-1` (it hands its partitions
// over on SIGTERM and the StatefulSet recreates it, which rejoins). The output,
// read as docs/consumer-contract.md says, must equal the oracle exactly, with
// one writer per (output partition, epoch). Also: every overlay passes a
// server-side dry run, and the prod overlay binds the apps to 0.0.0.0.
//   bash infra/k8s/cluster.sh up && pnpm images && pnpm test:deploy   (.ci/run does all of it)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusResponse } from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from '../integration/helpers.ts';
import {
  contractOutputs,
  createTopics,
  deleteTopics,
  PARTITIONS,
  readAll,
  SEC,
  streamOracle,
  type Topics,
} from '../integration/worker-harness.ts';
import {
  actingStatus,
  coordinatorsActing,
  deployStream,
  dropClusterBuckets,
  expectExact,
  oneActing,
  produceFirstQuarter,
  settledOn,
  stableOn,
  writersPerEpoch,
} from './deploy-helpers.ts';

const env = requireEnv(
  'KUBECTL',
  'KUBECONFIG',
  'KAFKA_BROKERS',
  'NATS_URL',
  'JAEGER_QUERY_URL',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
);
const brokers = env.KAFKA_BROKERS.split(',');
const NS = 'ripple';
const REPLICAS = 3; // k8s/overlays/ci
const SCALED = 4;
const healthPort = (ordinal: number) => 19100 + 10 * ordinal; // k8s/overlays/ci/worker-hostnet.yaml
const COORDINATORS = 2; // k8s/overlays/ci/coordinator.yaml
const coordinatorHealthPorts = [...Array(COORDINATORS).keys()].map((i) => 19201 + 10 * i);
const coordinatorApiPort = (ordinal: number) => 19200 + 10 * ordinal;
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

/** Highest next offset per partition over the worker pods 0..n-1 that answer. */
async function offsets(n: number): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  for (let i = 0; i < n; i++) {
    for (const d of (await ready(i))?.details ?? []) {
      const next = BigInt(d.nextOffset ?? '-1');
      if (next > (out.get(d.partition) ?? -1n)) out.set(d.partition, next);
    }
  }
  return out;
}

const coordinatorApiPorts = [...Array(COORDINATORS).keys()].map(coordinatorApiPort);
const settled = (ids: string[], minEpoch = 0) => settledOn(coordinatorApiPorts, ids, minEpoch);

const workerIds = (n: number) => [...Array(n).keys()].map((i) => `worker-${i}`);

describe('worker image on the local Kubernetes (ci overlay)', () => {
  let topics: Topics | undefined;
  const cluster = `k8s-${uniqueId()}`;
  afterAll(async () => {
    // Post-mortem: every pod's log (previous container too) and the acting coordinator's table.
    const dir = mkdtempSync(join(tmpdir(), 'ripple-k8s-'));
    try {
      writeFileSync(
        join(dir, 'status.json'),
        JSON.stringify(await actingStatus(coordinatorApiPorts), null, 1),
      );
      writeFileSync(join(dir, 'pods.txt'), kubectl('get', 'pods', '-n', NS, '-o', 'wide'));
      for (const pod of kubectl('get', 'pods', '-n', NS, '-o', 'name').split('\n').filter(Boolean)) {
        for (const prev of [false, true]) {
          try {
            const app = pod.replace('pod/', '').split('-')[0] ?? '';
            const log = kubectl(
              'logs',
              '-n',
              NS,
              pod,
              ...(prev ? ['--previous', '-c', app] : ['--all-containers']),
            );
            writeFileSync(join(dir, `${pod.replace('pod/', '')}${prev ? '.previous' : ''}.log`), log);
          } catch {
            // no previous container
          }
        }
      }
      process.stdout.write(`k8s scenario logs: ${dir}\n`);
    } catch (e) {
      process.stdout.write(`k8s scenario logs incomplete (${String(e)}): ${dir}\n`);
    }
    try {
      kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=120s');
    } finally {
      if (topics) await deleteTopics(brokers, topics);
      await dropClusterBuckets(env.NATS_URL, cluster);
    }
  }, 180_000);

  test('coordinator failover, scale to 4, worker pod deleted, while trades flow: output exact', {
    timeout: 15 * 60_000,
  }, async () => {
    const id = uniqueId();
    topics = await createTopics(brokers, `k8s-${id}`);
    const stream = deployStream(11);
    // A quarter of the stream before the apps start; the rest flows in during the scenario.
    const produceRest = await produceFirstQuarter(brokers, topics.input, stream);

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
    const endpoints = [
      'KAFKA_BROKERS',
      'NATS_URL',
      'S3_ENDPOINT',
      'S3_REGION',
      'S3_BUCKET',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string] as const] : []));
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
    const three = await eventually('3 workers own every partition', 120_000, () =>
      stableOn(coordinatorApiPorts, workerIds(REPLICAS)),
    );

    // The rest of the trades flow in, in slices, while the cluster changes.
    const producer = produceRest(30);

    // Coordinator failover: exactly one acting; delete its pod; the standby takes over.
    const before = await eventually('one acting coordinator', 60_000, () =>
      oneActing(coordinatorHealthPorts),
    );
    const active = before.indexOf(true);
    const standby = 1 - active;
    const tKill = Date.now();
    kubectl('delete', 'pod', `coordinator-${active}`, '-n', NS, '--wait=true', '--timeout=120s');
    await eventually('standby coordinator acting', 60_000, async () =>
      (await acting())[standby] === true ? true : undefined,
    );
    const takeoverMs = Date.now() - tKill;
    const afterTakeover = await eventually('the new active coordinator sees the same 3 workers', 60_000, () =>
      settled(workerIds(REPLICAS)),
    );
    expect(afterTakeover.epoch).toBeGreaterThanOrEqual(three.epoch);

    // Rebalance: a 4th worker; only partitions that move to it move.
    const tScale = Date.now();
    kubectl('scale', 'statefulset/worker', '-n', NS, `--replicas=${SCALED}`);
    const four = await eventually('4 workers own every partition', 180_000, () =>
      settled(workerIds(SCALED), afterTakeover.epoch + 1),
    );
    const scaleMs = Date.now() - tScale;
    const moved = four.partitions!.filter(
      (p) => p.workerId !== afterTakeover.partitions![p.partition]!.workerId,
    );
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((p) => p.workerId === `worker-${SCALED - 1}`)).toBe(true);
    kubectl('rollout', 'status', 'statefulset/coordinator', '-n', NS, '--timeout=180s');
    expect((await acting())[active]).toBe(false); // the recreated coordinator pod is the standby
    // The scale-up's rebalance is one trace in Jaeger: the coordinator's decision, the workers' steps.
    const rebalance = four.rebalances?.find((r) => r.moves > 0 && r.epoch > afterTakeover.epoch && r.traceId);
    expect(rebalance?.traceId).toBeTruthy();
    const traceOps = await eventually('the rebalance trace in Jaeger', 60_000, async () => {
      const r = await fetch(`${env.JAEGER_QUERY_URL}/api/traces/${rebalance?.traceId}`);
      if (r.status !== 200) return undefined;
      const t = ((await r.json()) as { data?: Array<{ spans: Array<{ operationName: string }> }> }).data?.[0];
      const ops = new Set(t?.spans.map((x) => x.operationName));
      return ['ripple.rebalance', 'ripple.worker.revoke', 'ripple.worker.assign'].every((op) => ops.has(op))
        ? ops
        : undefined;
    });

    // Failover: delete worker-1 (SIGTERM: it hands its partitions over); the StatefulSet recreates it.
    const uid = kubectl('get', 'pod', 'worker-1', '-n', NS, '-o', 'jsonpath={.metadata.uid}');
    const tDelete = Date.now();
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
    // it rejoins: the ring gives it back what it had
    const owners = (st: StatusResponse) => st.partitions!.map((p) => p.workerId).join(',');
    await eventually('4 workers own every partition again, as before', 180_000, async () => {
      const st = await settled(workerIds(SCALED), four.epoch + 1);
      return st !== undefined && owners(st) === owners(four) ? st : undefined;
    });
    const rejoinMs = Date.now() - tDelete;

    await producer;
    const ends = stream.records.map((r) => BigInt(r.length));
    await eventually('every partition consumed', 8 * 60_000, async () => {
      const o = await offsets(SCALED);
      return ends.every((end, p) => (o.get(p) ?? -1n) >= end) ? true : undefined;
    });
    // No container restarted (a crash or a failed liveness probe would show here).
    const restarts = kubectl(
      'get',
      'pods',
      '-n',
      NS,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[0].restartCount}{"\\n"}{end}',
    )
      .split('\n')
      .filter((l) => l !== '' && !l.endsWith('=0'));
    expect(restarts).toEqual([]);
    // Graceful stop of every worker pod (SIGTERM through the kubelet: drain + final checkpoint).
    kubectl('scale', 'statefulset/worker', '-n', NS, '--replicas=0');
    await eventually('worker pods gone', 180_000, async () =>
      kubectl('get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=worker', '-o', 'name').trim() === ''
        ? true
        : undefined,
    );

    const records = await readAll(brokers, topics.output);
    const got = contractOutputs(records);
    expectExact(got, streamOracle(stream, 10n * SEC, 5n * SEC, 1n * SEC).windows);
    // One writer per (output partition, epoch).
    const writers = writersPerEpoch(records);
    expect([...writers].filter(([, set]) => set.size > 1).map(([k, set]) => `${k}: ${[...set]}`)).toEqual([]);
    console.log(
      JSON.stringify({
        suite: 'k8s',
        workers: `${REPLICAS}->${SCALED}`,
        moved_on_scale: moved.length,
        partitions: PARTITIONS,
        coordinator_takeover_s: takeoverMs / 1000,
        scale_settled_s: scaleMs / 1000,
        worker_delete_rejoin_s: rejoinMs / 1000,
        partition_epochs_written: writers.size,
        rebalance_trace_spans: [...traceOps].sort().join(','),
        trades: stream.tradeCount,
        windows: got.windows.size,
        dropped_by_contract: got.dropped,
        rollout_ready_s: readyMs / 1000,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  });
});
