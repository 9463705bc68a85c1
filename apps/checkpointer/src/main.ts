/**
 * The checkpointer process: config from the environment, the object store
 * (S3, a directory, or memory), the bus (NATS or memory), /health /ready
 * /metrics, SIGTERM/SIGINT stop it cleanly (a checkpoint being committed
 * finishes; one still collecting acks is aborted).
 * Exit code 2: invalid configuration. `--print-config [--json]`: print the
 * effective config (secrets masked) and exit 0.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type ControlBus, LeaseKeeper, MemoryBus } from '@ripple/cluster';
import { HubClient, hubPath } from '@ripple/cluster-local';
import { NatsBus, NatsKv, natsAuthFromEnv } from '@ripple/cluster-nats';
import { ConfigError, configRecord, formatConfig } from '@ripple/config';
import { DirObjectStore, MemoryObjectStore, type ObjectStore, S3ObjectStore } from '@ripple/object-store';
import { checkpointLayout, clusterSubjects } from '@ripple/protocol';
import { LogLevelError, logLevel, startTracing } from '@ripple/telemetry';
import { Checkpointer } from './checkpointer.ts';
import { type CheckpointerConfig, readConfig } from './config.ts';
import { staticTable } from './coordinator.ts';
import { startHttp } from './http.ts';
import { jsonLogger } from './logger.ts';
import { CheckpointerMetrics } from './metrics.ts';

function storeOf(c: CheckpointerConfig): ObjectStore {
  if (c.store === 'memory') return new MemoryObjectStore();
  if (c.store === 'dir') return new DirObjectStore(c.storeDir!);
  return new S3ObjectStore({ ...c.s3, bucket: c.s3.bucket! });
}

async function main(): Promise<void> {
  try {
    logLevel();
  } catch (e) {
    if (!(e instanceof LogLevelError)) throw e;
    process.stderr.write(`ripple checkpointer: ${e.message}\n`);
    process.exit(2);
  }
  const log = jsonLogger('checkpointer');
  let config: CheckpointerConfig;
  let read: ReturnType<typeof readConfig>;
  try {
    read = readConfig();
    config = read.config;
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error('invalid configuration', { key: e.key, env: e.variable, error: e.message });
      process.stderr.write(`ripple checkpointer: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (process.argv.includes('--print-config')) {
    process.stdout.write(formatConfig(read.loaded, process.argv.includes('--json')));
    process.exit(0);
  }
  // the effective config, secrets masked
  log.info('starting', { config: configRecord(read.loaded) });
  const tracing = startTracing({
    serviceName: 'ripple-checkpointer',
    instanceId: config.instanceId,
    warn: (m) => log.warn('tracing', { detail: m }),
  });
  const metrics = new CheckpointerMetrics(config.cluster);
  const store = storeOf(config);
  let bus: ControlBus;
  let nc: NatsConnection | null = null;
  let busUp = true;
  let hub: HubClient | null = null;
  const hubSocket = hubPath(config.natsUrl);
  if (config.bus === 'memory') bus = new MemoryBus();
  else if (hubSocket !== null) {
    // the embedded cluster's hub (`pnpm start`, @ripple/cluster-local); retried while it is not up
    for (let wait = 100; hub === null; wait = Math.min(wait * 2, 2000)) {
      try {
        hub = await HubClient.connect(hubSocket, (error, subject) =>
          log.error('bus handler failed', { subject, error: String(error) }),
        );
      } catch (e) {
        log.warn('hub unreachable; retrying', { waitMs: wait, error: String(e) });
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    bus = hub.bus;
  } else {
    // Credentials as the coordinator's and the worker's (RIPPLE_NATS_*); never logged.
    const auth = natsAuthFromEnv(process.env);
    log.info('nats', { servers: config.natsUrl, auth: auth.describe });
    // The first connection is retried too: NATS down at start = not ready, retrying.
    for (let wait = 250; nc === null; wait = Math.min(wait * 2, 5000)) {
      try {
        nc = await connect({
          servers: config.natsUrl.split(','),
          name: `ripple-checkpointer-${config.cluster}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          ...auth.options,
        });
      } catch (e) {
        log.warn('nats unreachable; retrying', { waitMs: wait, error: String(e) });
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    const conn = nc;
    // A NATS outage makes the checkpointer not ready; the client reconnects forever.
    void (async () => {
      for await (const st of conn.status()) {
        if (st.type === 'disconnect') {
          busUp = false;
          log.warn('nats disconnected');
        } else if (st.type === 'reconnect') {
          busUp = true;
          log.info('nats reconnected');
        }
      }
    })().catch(() => {});
    bus = new NatsBus(conn, (error, subject) =>
      log.error('bus handler failed', { subject, error: String(error) }),
    );
  }
  // HA: one active replica, through the same JetStream KV lease as the coordinator (its own key).
  let lease: LeaseKeeper | null = null;
  if (config.ha === 'lease') {
    const conn = nc as NatsConnection;
    for (let wait = 250; lease === null; wait = Math.min(wait * 2, 5000)) {
      try {
        const kv = await NatsKv.open(conn, clusterSubjects(config.cluster).leaseBucket);
        lease = new LeaseKeeper({
          holderId: config.instanceId,
          key: 'checkpointer',
          ttlMs: config.leaseTtlMs,
          kv,
          logger: log,
          onChange: (leader, term) =>
            log.info(leader ? 'lease acquired: active' : 'lease lost: standby', { term }),
        });
      } catch (e) {
        log.warn('lease store unavailable; retrying', { waitMs: wait, error: String(e) });
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
  const keeper = lease;
  const checkpointer = new Checkpointer({
    cluster: config.cluster,
    layout: checkpointLayout(config.prefix),
    intervalMs: config.checkpointIntervalSec * 1000,
    ackTimeoutMs: config.checkpointTimeoutSec * 1000,
    commitTimeoutMs: config.commitTimeoutSec * 1000,
    keep: config.checkpointsRetained,
    staticTable:
      config.staticPartitions > 0 ? staticTable(config.staticEpoch, config.staticPartitions) : null,
    store,
    bus,
    busConnected: () => busUp && (nc === null || !nc.isClosed()),
    metrics,
    logger: log,
    tickMs: Math.max(10, Math.min(250, (config.checkpointIntervalSec * 1000) / 10)),
    ...(keeper === null ? {} : { leader: { isLeader: () => keeper.leader } }),
  });
  const http = await startHttp({
    host: config.host,
    healthPort: config.healthPort,
    metricsPort: config.metricsPort,
    registry: metrics.registry,
    ready: () => checkpointer.ready,
    details: () => checkpointer.details(),
  });
  log.info('listening', { healthPort: http.healthPort, metricsPort: http.metricsPort });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await checkpointer.stop();
    await keeper?.stop();
    if (nc !== null && !nc.isClosed()) await nc.drain();
    hub?.close();
    store.close();
    await http.close();
    await tracing.shutdown();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await checkpointer.start();
  keeper?.start();
  log.info('started', checkpointer.details());
}

main().catch((e: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', component: 'checkpointer', msg: 'fatal', error: String(e) })}\n`,
  );
  process.exit(1);
});
