/**
 * The coordinator app against the REAL nats-server (NATS_URL): one replica
 * as a real process (src/main.ts, SIGTERM), one in-process, workers as
 * WorkerAgents with in-memory hosts over real NATS. Status over HTTP and
 * NATS, /ready, /metrics; the process's SIGTERM hands the lease over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MemoryPartitionHost, MemorySnapshotStore, WorkerAgent } from '@ripple/cluster';
import { NatsBus, NatsKv } from '@ripple/cluster-nats';
import {
  clusterSubjects,
  decodeControlMessage,
  encodeControlMessage,
  type StatusResponse,
} from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { type CoordinatorApp, loadConfig, startCoordinatorApp } from '../src/index.ts';
import { jsonLogger } from '../src/logger.ts';

const { NATS_URL, OTEL_EXPORTER_OTLP_ENDPOINT: OTLP, JAEGER_QUERY_URL: JAEGER } = process.env;
if (!NATS_URL || !OTLP || !JAEGER) {
  throw new Error(
    'this suite needs NATS_URL, OTEL_EXPORTER_OTLP_ENDPOINT and JAEGER_QUERY_URL: run `pnpm infra:up` and `source infra/.run/env` first',
  );
}

async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (${String(last)})`);
}

const get = async (port: number, path: string) => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, text: await r.text() };
};

describe('apps/coordinator over real NATS', () => {
  const cluster = `it-capp-${randomBytes(4).toString('hex')}`;
  const s = clusterSubjects(cluster);
  const env = {
    NATS_URL,
    RIPPLE_CLUSTER: cluster,
    RIPPLE_NUM_PARTITIONS: '16',
    RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.1',
    RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '0.8',
    RIPPLE_LEASE_TTL_SEC: '0.8',
    RIPPLE_API_PORT: '0',
    RIPPLE_HEALTH_PORT: '0',
    RIPPLE_METRICS_PORT: '0',
  };
  const conns: NatsConnection[] = [];
  const agents: WorkerAgent[] = [];
  let child: ChildProcess | undefined;
  let app: CoordinatorApp | undefined;
  // the in-process workers export their spans to the real Jaeger under a service of their own
  const workerService = `ripple-worker-it-${randomBytes(3).toString('hex')}`;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': workerService }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${OTLP}/v1/traces` }))],
  });
  trace.setGlobalTracerProvider(provider);

  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
    for (const a of agents) a.close();
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    await app?.close();
    const nc = await connect({ servers: NATS_URL });
    for (const b of [s.leaseBucket, s.stateBucket]) await (await NatsKv.open(nc, b)).destroy();
    await nc.close();
    for (const c of conns) await c.drain();
  });

  test('two replicas, status over HTTP and NATS, metrics, SIGTERM hands over, the rebalance trace in Jaeger', async () => {
    // replica 1: a real process
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    let stderr = '';
    child = spawn(process.execPath, ['--conditions=@ripple/source', main], {
      env: { ...process.env, ...env, RIPPLE_COORDINATOR_ID: 'proc-a', OTEL_EXPORTER_OTLP_ENDPOINT: OTLP },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await eventually('process leads', 20_000, async () =>
      stderr.includes('coordinator leading') ? true : undefined,
    );

    // replica 2: in-process, standby
    app = await startCoordinatorApp(
      loadConfig({ ...env, RIPPLE_COORDINATOR_ID: 'inproc-b' }),
      jsonLogger('coordinator', { test: true }),
      {},
    );
    const standby = app;
    await eventually('standby ready', 10_000, async () =>
      (await get(standby.healthPort, '/ready')).status === 200 ? true : undefined,
    );
    expect((await get(standby.healthPort, '/health')).status).toBe(200);

    // three workers over real NATS
    const store = new MemorySnapshotStore();
    for (const w of ['w0', 'w1', 'w2']) {
      const nc = await connect({ servers: NATS_URL, name: `${cluster}-${w}` });
      conns.push(nc);
      const agent = new WorkerAgent({
        bus: new NatsBus(nc),
        cluster,
        host: new MemoryPartitionHost(store),
        workerId: w,
        incarnation: randomBytes(4).toString('hex'),
        heartbeatIntervalMs: 100,
      });
      agent.start();
      agents.push(agent);
    }
    const probe = await connect({ servers: NATS_URL });
    conns.push(probe);
    const status = await eventually('all partitions owned (status over NATS)', 20_000, async () => {
      const reply = await probe.request(
        s.status,
        encodeControlMessage({ type: 'status_request', v: 1, requestId: 'q1' }),
        {
          timeout: 1000,
        },
      );
      const st = decodeControlMessage(reply.data) as StatusResponse;
      const owners = new Set(st.partitions?.map((p) => p.workerId));
      return st.workers.length === 3 &&
        owners.size === 3 &&
        !owners.has(null) &&
        st.partitions?.every((p) => p.movingTo === null)
        ? st
        : undefined;
    });
    expect(status.leaderId).toBe('proc-a');
    expect(status.workers.map((w) => w.workerId)).toEqual(['w0', 'w1', 'w2']);
    expect(status.partitions?.every((p) => p.epoch > 0)).toBe(true);

    // the standby's HTTP status shows the same table from heartbeats, not acting
    const local = JSON.parse((await get(standby.apiPort, '/status')).text) as StatusResponse & {
      acting: boolean;
    };
    expect(local.acting).toBe(false);
    await eventually('standby view matches', 5000, async () => {
      const v = JSON.parse((await get(standby.apiPort, '/status')).text) as StatusResponse;
      return JSON.stringify(v.partitions?.map((p) => p.workerId)) ===
        JSON.stringify(status.partitions?.map((p) => p.workerId))
        ? true
        : undefined;
    });
    const metrics0 = (await get(standby.metricsPort, '/metrics')).text;
    expect(metrics0).toMatch(/^ripple_coordinator_members\{coordinator="inproc-b"\} 3$/m);
    expect(metrics0).toMatch(/^ripple_coordinator_leader\{coordinator="inproc-b"\} 0$/m);

    // SIGTERM the acting process: the standby takes over within the lease period, nothing moves
    const t0 = Date.now();
    process.kill(child.pid!, 'SIGTERM');
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    await eventually('standby acts', 5000, async () => (standby.runner()?.isLeader ? true : undefined));
    const takeoverMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 600));
    const after = JSON.parse((await get(standby.apiPort, '/status')).text) as StatusResponse & {
      acting: boolean;
    };
    expect(after.acting).toBe(true);
    expect(after.partitions?.map((p) => [p.workerId, p.epoch])).toEqual(
      status.partitions?.map((p) => [p.workerId, p.epoch]),
    );
    expect(after.epoch).toBe(status.epoch);

    // a worker dies: the acting replica moves its partitions; metrics count it
    agents[1]!.close();
    await eventually('w1 gone and partitions reassigned', 10_000, async () => {
      const v = JSON.parse((await get(standby.apiPort, '/status')).text) as StatusResponse;
      return v.unassigned.length === 0 &&
        v.partitions?.every((p) => p.workerId !== 'w1' && p.movingTo === null)
        ? true
        : undefined;
    });
    const metrics = (await get(standby.metricsPort, '/metrics')).text;
    expect(metrics).toMatch(/^ripple_coordinator_leader\{coordinator="inproc-b"\} 1$/m);
    expect(metrics).toMatch(/^ripple_coordinator_members\{coordinator="inproc-b"\} 2$/m);
    expect(metrics).toMatch(/^ripple_coordinator_unowned_partitions\{coordinator="inproc-b"\} 0$/m);
    expect(metrics).toMatch(/^ripple_coordinator_rebalances_total\{coordinator="inproc-b"\} [1-9]/m);
    expect(metrics).toMatch(
      /^ripple_coordinator_rebalance_duration_seconds_count\{coordinator="inproc-b"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^ripple_coordinator_member_changes_total\{change="dead",coordinator="inproc-b"\} 1$/m,
    );
    expect(
      Number(/^ripple_coordinator_epoch\{coordinator="inproc-b"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(status.epoch);
    // one trace per rebalance in the real Jaeger: the coordinator's decision as the root, the workers' steps as children
    const traced = status.rebalances?.find((r) => r.moves > 0 && r.traceId !== null);
    expect(traced).toBeDefined();
    interface JaegerSpan {
      spanID: string;
      operationName: string;
      processID: string;
      references: { refType: string; spanID: string }[];
    }
    interface JaegerTrace {
      spans: JaegerSpan[];
      processes: Record<string, { serviceName: string }>;
    }
    const jt = await eventually('rebalance trace in Jaeger', 20_000, async () => {
      const r = await fetch(`${JAEGER}/api/traces/${traced!.traceId}`);
      if (r.status !== 200) return undefined;
      const t = ((await r.json()) as { data?: JaegerTrace[] }).data?.[0];
      return t?.spans.some((x) => x.operationName === 'ripple.rebalance') &&
        t.spans.some((x) => x.operationName === 'ripple.worker.assign')
        ? t
        : undefined;
    });
    const root = jt.spans.find((x) => x.operationName === 'ripple.rebalance')!;
    expect(jt.processes[root.processID]?.serviceName).toBe('ripple-coordinator');
    const steps = jt.spans.filter((x) => x.operationName.startsWith('ripple.worker.'));
    expect(steps.length).toBeGreaterThan(0);
    for (const st of steps) {
      expect(jt.processes[st.processID]?.serviceName).toBe(workerService);
      expect(st.references).toContainEqual(
        expect.objectContaining({ refType: 'CHILD_OF', spanID: root.spanID }),
      );
    }
    process.stdout.write(
      `${JSON.stringify({ suite: 'coordinator-app', takeover_after_sigterm_ms: takeoverMs, jaeger_trace: traced!.traceId, trace_spans: jt.spans.length })}\n`,
    );
  }, 60_000);
});
