/**
 * The worker process: config -> adapters -> HTTP (health, metrics) -> tracing
 * -> recovery -> loop. SIGTERM/SIGINT drain and checkpoint within the grace
 * period; a second signal exits at once. Exit codes: 0 stopped cleanly with
 * the final checkpoint stored, 1 failed or the final checkpoint not stored
 * (logged with the partitions), 2 invalid configuration.
 * `--print-config [--json]`: print the effective config (secrets masked) and exit 0.
 *
 * Cluster mode (`RIPPLE_CLUSTER` set): `num_partitions` is checked against
 * the input topic, the control bus is opened, the worker starts with no
 * partition and joins the cluster (`joinCluster`); the coordinator assigns
 * partitions. SIGTERM hands every partition over first (each is flushed,
 * checkpointed and acked to the coordinator), then drains.
 */
import { mkdirSync } from 'node:fs';
import { NatsAuthConfigError } from '@ripple/cluster-nats';
import { ConfigError, configRecord, formatConfig } from '@ripple/config';
import { decodeDeltaBatch, SchemaRegistry } from '@ripple/protocol';
import { createLogger, LogLevelError, logLevel, startTracing } from '@ripple/telemetry';
import { FileSink, FileSource } from './adapters/file.ts';
import { FileLogSink, FileLogSource } from './adapters/file-log.ts';
import { KafkaSink, KafkaSource } from './adapters/kafka.ts';
import { kafkaPartitionCount } from './adapters/kafka-topic.ts';
import { KafkaTransactionalSink } from './adapters/kafka-transactional-sink.ts';
import { LocalSnapshotStore } from './adapters/local-snapshot-store.ts';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from './adapters/memory.ts';
import { S3SnapshotStore } from './adapters/s3-snapshot-store.ts';
import { Backoff, sleep } from './backoff.ts';
import { type OpenBus, openControlBus } from './cluster-bus.ts';
import { type ClusterCheckpoints, clusterCheckpoints } from './cluster-checkpoints.ts';
import { type ClusterMember, joinCluster } from './cluster-member.ts';
import { readConfig, type WorkerConfig } from './config.ts';
import { isRetryable } from './dependency-health.ts';
import { startHttp } from './http.ts';
import { VWAP_OUTPUT_SCHEMA } from './jobs/vwap/schemas.ts';
import { vwapJob } from './jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from './metrics.ts';
import { checkPartitionCount } from './partition-count.ts';
import type { Logger, RecordSink, RecordSource, SinkRecord, SnapshotStore } from './ports.ts';
import { serveQueries } from './query-responder.ts';
import { syntheticTopic } from './synthetic.ts';
import { Worker } from './worker.ts';

function adapters(
  cfg: WorkerConfig,
  onFenced: (partition: number, droppedRecords: number) => void,
): {
  source: RecordSource;
  sink: RecordSink;
  store: SnapshotStore;
  cache: SnapshotStore | null;
} {
  let source: RecordSource;
  let sink: RecordSink;
  if (cfg.source === 'kafka') {
    source = new KafkaSource({
      brokers: cfg.kafkaBrokers,
      topic: cfg.inputTopic,
      clientId: `ripple-${cfg.workerId}`,
    });
    sink =
      cfg.outputFencing === 'transactional'
        ? new KafkaTransactionalSink({
            brokers: cfg.kafkaBrokers,
            clientId: `ripple-${cfg.workerId}`,
            transactionalIdPrefix: `ripple-${cfg.cluster ?? 'single'}-${cfg.outputTopic}`,
            onFenced,
          })
        : new KafkaSink({ brokers: cfg.kafkaBrokers, clientId: `ripple-${cfg.workerId}` });
  } else if (cfg.source === 'log') {
    source = new FileLogSource(cfg.logDir as string, cfg.inputTopic);
    sink = new FileLogSink(cfg.logDir as string);
  } else if (cfg.source === 'file') {
    source = new FileSource(cfg.inputDir as string, cfg.inputTopic);
    sink = new FileSink(cfg.outputDir as string, describeOutput);
  } else {
    // Embedded mode: a deterministic synthetic trade stream, outputs kept in memory.
    const input = syntheticTopic(cfg.inputTopic, cfg.numPartitions, cfg.syntheticEvents);
    source = new MemorySource(input);
    const topics = [cfg.outputTopic, cfg.dlqTopic, `${cfg.inputTopic}-late`].map(
      (t) => [t, new MemoryTopic(t, cfg.numPartitions)] as const,
    );
    sink = new MemorySink(new Map(topics));
  }
  let store: SnapshotStore;
  if (cfg.snapshotStore === 's3') {
    store = new S3SnapshotStore(cfg.s3);
  } else if (cfg.snapshotStore === 'local') {
    const dir = cfg.checkpointCacheDir ?? '.ripple/checkpoints';
    mkdirSync(dir, { recursive: true });
    store = new LocalSnapshotStore(dir);
  } else {
    store = new MemorySnapshotStore();
  }
  const cache =
    cfg.checkpointCacheDir !== null && cfg.snapshotStore !== 'local'
      ? new LocalSnapshotStore(cfg.checkpointCacheDir)
      : null;
  return { source, sink, store, cache };
}

/** File sink: output delta frames as readable records; anything else stays base64. */
function describeOutput(r: SinkRecord): unknown {
  if (r.headers['ripple-first-sequence'] === undefined) return undefined;
  try {
    return decodeDeltaBatch(r.value, { schemas: outputSchemas }).records;
  } catch {
    return undefined;
  }
}

const outputSchemas = new SchemaRegistry();
outputSchemas.register(VWAP_OUTPUT_SCHEMA);

async function main(): Promise<number> {
  let loaded: ReturnType<typeof readConfig>['loaded'];
  let cfg: WorkerConfig;
  try {
    const read = readConfig();
    cfg = read.config;
    loaded = read.loaded;
    logLevel(); // LOG_LEVEL
    if (process.argv.includes('--print-config')) {
      process.stdout.write(formatConfig(read.loaded, process.argv.includes('--json')));
      return 0;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LogLevelError) {
      process.stderr.write(`ripple worker: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log: Logger = createLogger({ fields: { component: 'worker', worker: cfg.workerId } });
  // the effective config, secrets masked
  log.info('starting', { config: configRecord(loaded) });
  const metrics = new WorkerMetrics(cfg.workerId);
  const tracing = startTracing({
    serviceName: 'ripple-worker',
    instanceId: cfg.workerId,
    endpoint: cfg.otlpEndpoint,
    warn: (m) => log.warn('tracing', { detail: m }),
  });
  const ports = adapters(cfg, (partition, dropped) => {
    metrics.outputFenced.inc({ partition }, dropped);
    log.warn('output fenced: a newer owner holds the partition; its records are dropped', {
      partition,
      dropped,
    });
  });
  // Cluster checkpoints: restore through the checkpointer's committed manifests (built once the bus is open).
  let checkpoints: ClusterCheckpoints | null = null;
  const worker = new Worker({
    config: cfg,
    job: vwapJob,
    ...ports,
    metrics,
    logger: log,
    ...(cfg.checkpointMode === 'cluster'
      ? { restorer: { restore: (p: number) => (checkpoints as ClusterCheckpoints).restorer.restore(p) } }
      : {}),
  });
  const http = await startHttp({
    host: cfg.host,
    healthPort: cfg.healthPort,
    metricsPort: cfg.metricsPort,
    lifecycle: worker.lifecycle,
    registry: metrics.registry,
    details: () => worker.progress(),
    failures: () => [
      ...worker.failures(),
      ...worker.degradedDependencies.map((dependency) => ({ dependency, state: 'degraded' })),
    ],
    ready: () => worker.ready,
  });
  log.info('listening', { health: http.healthPort, metrics: http.metricsPort, partitions: cfg.partitions });

  let signals = 0;
  const stopping = new AbortController();
  let member: ClusterMember | null = null;
  let bus: OpenBus | null = null;
  let queries: { unsubscribe(): void } | null = null;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      log.warn('second signal: exiting without drain', { signal: sig });
      // The spans ended so far still go out (bounded: the operator asked twice).
      void Promise.race([tracing.shutdown(), sleep(1000)]).then(() => process.exit(1));
      return;
    }
    stopping.abort();
    if (member === null) {
      log.info('draining', { signal: sig, graceSec: cfg.shutdownGraceSec });
      worker.requestStop();
      return;
    }
    log.info('handing partitions over', { signal: sig, graceSec: cfg.shutdownGraceSec });
    member.leave().then(
      (graceful) => {
        log.info('draining', { handedOver: graceful, still: worker.owned() });
        worker.requestStop();
      },
      (e: unknown) => {
        log.error('hand-over failed; draining', { error: String(e) });
        worker.requestStop();
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    if (cfg.cluster !== null || cfg.checkpointMode === 'cluster')
      bus = await openControlBus(cfg, log, stopping.signal);
    if (cfg.checkpointMode === 'cluster' && bus !== null) {
      log.info('cluster checkpoints', { cluster: cfg.checkpointCluster, prefix: cfg.checkpointPrefix });
      checkpoints = clusterCheckpoints({
        config: cfg,
        bus: bus.bus,
        job: () => worker.job,
        metrics,
        logger: log,
        signal: stopping.signal,
      });
    }
    if (cfg.cluster === null) await worker.start();
    else {
      if (cfg.source === 'kafka') {
        const count = await untilAnswered(
          () => kafkaPartitionCount(cfg.kafkaBrokers, cfg.inputTopic, `ripple-${cfg.workerId}-meta`),
          'input topic metadata',
          log,
          stopping.signal,
        );
        if (count !== null) checkPartitionCount(cfg.inputTopic, cfg.numPartitions, count);
      }
      await worker.start([]);
      if (!stopping.signal.aborted) {
        member = joinCluster({
          worker,
          bus: (bus as OpenBus).bus,
          config: cfg,
          logger: log,
          rpcAddress: `${cfg.host}:${http.healthPort}`,
        });
        log.info('joined cluster', { cluster: cfg.cluster, workerId: cfg.workerId });
        // `ripple query` / `ripple graph`: this worker's state over the same bus
        queries = serveQueries({
          bus: (bus as OpenBus).bus,
          cluster: cfg.cluster,
          workerId: cfg.workerId,
          target: worker,
          metrics,
          logger: log,
        });
      }
    }
    checkpoints?.participant.start(worker);
    const stored = await worker.run();
    if (!stored) {
      log.error('stopped without storing the final checkpoint; exiting 1', { progress: worker.progress() });
      return 1;
    }
    log.info('stopped', { progress: worker.progress() });
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof NatsAuthConfigError) {
      log.error('invalid configuration', { error: e.message });
      process.stderr.write(`ripple worker: ${e.message}\n`);
      return 2;
    }
    log.error('worker failed', { error: String(e), stack: (e as Error).stack });
    if (worker.lifecycle.canTransition('failed')) worker.lifecycle.transition('failed');
    return 1;
  } finally {
    queries?.unsubscribe();
    member?.close();
    await checkpoints?.close();
    // Spans first: closing NATS can wait long when it is down, and a SIGKILL after the grace
    // period must not take the last spans (the final checkpoint's) with it.
    await tracing.shutdown();
    await bus?.close();
    await http.close();
  }
}

/** `fn` retried with backoff while it fails retryably; null when stopped meanwhile. */
async function untilAnswered<T>(
  fn: () => Promise<T>,
  what: string,
  log: Logger,
  signal: AbortSignal,
): Promise<T | null> {
  const backoff = new Backoff(200, 5000);
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e)) throw e;
      const delayMs = backoff.next();
      log.warn(`${what} unavailable, retrying`, { error: String(e), delayMs });
      await sleep(delayMs, signal);
      if (signal.aborted) return null;
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ripple worker: ${String(e)}\n`);
    process.exit(1);
  },
);
