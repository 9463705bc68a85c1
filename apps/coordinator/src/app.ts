/**
 * The coordinator process without the process concerns (signals, exit
 * codes): NATS connection (credentials from the environment), JetStream KV
 * buckets for the lease and the cluster state, the CoordinatorRunner, and
 * HTTP: `GET /status` on the API port, `/health` `/ready` on the health
 * port, `/metrics` on the metrics port. A dependency that is down keeps the
 * process running, not ready, and retrying.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type ControlBus, CoordinatorRunner, type KvStore, type Logger } from '@ripple/cluster';
import { HubClient, hubPath } from '@ripple/cluster-local';
import { NatsBus, NatsKv, natsAuthFromEnv } from '@ripple/cluster-nats';
import { clusterSubjects, SchemaRegistry } from '@ripple/protocol';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import type { CoordinatorConfig } from './config.ts';
import { DashboardFeed } from './dashboard/feed.ts';
import { OutputTopicReader } from './dashboard/output-topic-reader.ts';
import { dashboardHandler } from './dashboard/server.ts';
import { VwapBoard } from './dashboard/vwap-board.ts';
import { json, serve } from './http.ts';
import { CoordinatorMetrics } from './metrics.ts';

export interface CoordinatorApp {
  readonly runner: () => CoordinatorRunner | null;
  readonly apiPort: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

export async function startCoordinatorApp(
  config: CoordinatorConfig,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<CoordinatorApp> {
  const auth = natsAuthFromEnv(env);
  const metrics = new CoordinatorMetrics(config.coordinatorId);
  const subjects = clusterSubjects(config.cluster);
  let runner: CoordinatorRunner | null = null;
  let nc: NatsConnection | null = null;
  let hub: HubClient | null = null;
  let notReady = 'connecting to NATS';
  let closed = false;

  const feed = new DashboardFeed();
  // the VWAP table: the output topic read as the consumer contract says (when Kafka is configured)
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  const vwap = new VwapBoard(schemas);
  const reader =
    config.kafkaBrokers === null
      ? null
      : new OutputTopicReader({
          brokers: config.kafkaBrokers,
          topic: config.outputTopic,
          groupId: `ripple-dashboard-${config.cluster}-${config.coordinatorId}`,
          board: vwap,
          logger,
        });
  reader?.start();
  const jaegerUrl =
    env.JAEGER_QUERY_URL !== undefined && env.JAEGER_QUERY_URL !== '' ? env.JAEGER_QUERY_URL : null;
  const http = await serve(config.host, [
    {
      port: config.apiPort,
      raw: dashboardHandler({
        feed,
        vwap,
        jaegerUrl,
        status: () =>
          runner === null
            ? null
            : { ...runner.status('dashboard'), self: config.coordinatorId, acting: runner.isLeader },
      }),
      route: async (url) => {
        if (url !== '/status') return null;
        if (runner === null) return json(503, { error: notReady });
        return json(200, { ...runner.status('http'), self: config.coordinatorId, acting: runner.isLeader });
      },
    },
    {
      port: config.healthPort,
      route: async (url) => {
        if (url === '/health' || url === '/healthz') return json(200, { ok: true });
        if (url !== '/ready' && url !== '/readyz') return null;
        const blocked = runner?.blockedReason ?? null;
        const ready =
          runner !== null &&
          (hub !== null || (nc !== null && !nc.isClosed())) &&
          blocked === null &&
          (runner.isLeader || runner.lease.view().holderId !== null);
        return json(ready ? 200 : 503, {
          ready,
          reason: ready ? null : runner === null ? notReady : (blocked ?? 'lease state not known yet'),
          acting: runner?.isLeader ?? false,
        });
      },
    },
    {
      port: config.metricsPort,
      route: async (url) => {
        if (url !== '/metrics') return null;
        if (runner !== null) metrics.sample(runner);
        return { code: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
    },
  ]);
  logger.info('coordinator listening', {
    api: http.ports[0],
    health: http.ports[1],
    metrics: http.ports[2],
    nats: config.natsUrl,
    auth: auth.describe,
  });

  const socket = hubPath(config.natsUrl);
  const boot = (async () => {
    if (socket !== null) {
      // the embedded cluster's hub (`pnpm start`, @ripple/cluster-local): bus and KV buckets over its socket
      let wait = 100;
      while (hub === null && !closed) {
        try {
          hub = await HubClient.connect(socket, (error, subject) =>
            logger.error('control handler failed', { subject, error: String(error) }),
          );
        } catch (e) {
          notReady = `connecting to the hub: ${String(e)}`;
          await new Promise((r) => setTimeout(r, wait));
          wait = Math.min(wait * 2, 2000);
        }
      }
      if (hub !== null && !closed) start(hub.bus, hub.kv(subjects.leaseBucket), hub.kv(subjects.stateBucket));
      return;
    }
    // first connection: retried here (so close() can stop it); after that the client reconnects forever
    let delay = 200;
    while (nc === null && !closed) {
      try {
        nc = await connect({
          servers: config.natsUrl.split(','),
          name: `ripple-coordinator-${config.coordinatorId}`,
          timeout: 2000,
          maxReconnectAttempts: -1,
          ...auth.options,
        });
      } catch (e) {
        notReady = `connecting to NATS: ${e instanceof Error ? e.message : String(e)}`;
        logger.warn('NATS not reachable, retrying', { error: String(e), inMs: delay });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    if (nc === null || closed) return;
    notReady = 'opening JetStream KV buckets';
    delay = 200;
    let kvs: [NatsKv, NatsKv] | null = null;
    while (kvs === null && !closed) {
      try {
        kvs = [await NatsKv.open(nc, subjects.leaseBucket), await NatsKv.open(nc, subjects.stateBucket)];
      } catch (e) {
        logger.warn('JetStream KV not available, retrying', { error: String(e), inMs: delay });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    if (kvs === null || closed) return;
    start(
      new NatsBus(nc, (error, subject) =>
        logger.error('control handler failed', { subject, error: String(error) }),
      ),
      kvs[0],
      kvs[1],
    );
  })().catch((e: unknown) => {
    notReady = `start-up failed: ${String(e)}`;
    logger.error('coordinator start-up failed', { error: String(e) });
  });

  function start(bus: ControlBus, leaseKv: KvStore, stateKv: KvStore): void {
    const r = new CoordinatorRunner({
      bus,
      cluster: config.cluster,
      leaseKv,
      stateKv,
      replicaId: config.coordinatorId,
      numPartitions: config.numPartitions,
      heartbeatIntervalMs: config.heartbeatIntervalSec * 1000,
      failureTimeoutMs: config.failureDetectionTimeoutSec * 1000,
      leaseTtlMs: config.leaseTtlSec * 1000,
      vnodes: config.vnodes,
      logger,
      observer: metrics.observer(),
    });
    r.start();
    feed.attach(bus, subjects);
    runner = r;
    logger.info('coordinator started', { cluster: config.cluster, numPartitions: config.numPartitions });
  }

  return {
    runner: () => runner,
    apiPort: http.ports[0]!,
    healthPort: http.ports[1]!,
    metricsPort: http.ports[2]!,
    close: async () => {
      closed = true;
      feed.close();
      await reader?.close();
      await runner?.stop();
      await http.close();
      hub?.close();
      const c = nc as NatsConnection | null;
      if (c !== null) await c.drain().catch(() => {});
      await boot;
    },
  };
}
