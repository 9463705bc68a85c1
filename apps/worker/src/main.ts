/**
 * The worker process: config -> adapters -> HTTP (health, metrics) -> tracing
 * -> recovery -> loop. SIGTERM/SIGINT drain and checkpoint within the grace
 * period; a second signal exits at once. Exit codes: 0 stopped cleanly with
 * the final checkpoint stored, 1 failed or the final checkpoint not stored
 * (logged with the partitions), 2 invalid configuration.
 */
import { mkdirSync } from 'node:fs';
import { decodeDeltaBatch, SchemaRegistry } from '@ripple/protocol';
import { FileSink, FileSource } from './adapters/file.ts';
import { KafkaSink, KafkaSource } from './adapters/kafka.ts';
import { LocalSnapshotStore } from './adapters/local-snapshot-store.ts';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from './adapters/memory.ts';
import { S3SnapshotStore } from './adapters/s3-snapshot-store.ts';
import { loadConfig, type WorkerConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { startHttp } from './http.ts';
import { VWAP_OUTPUT_SCHEMA } from './jobs/vwap/schemas.ts';
import { vwapJob } from './jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from './metrics.ts';
import type { Logger, RecordSink, RecordSource, SinkRecord, SnapshotStore } from './ports.ts';
import { syntheticTopic } from './synthetic.ts';
import { startTracing } from './tracing.ts';
import { Worker } from './worker.ts';

function jsonLogger(workerId: string): Logger {
  const write = (level: string, msg: string, fields?: Record<string, unknown>) => {
    process.stderr.write(
      `${JSON.stringify(
        { ts: new Date().toISOString(), level, component: 'worker', worker: workerId, msg, ...fields },
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
      )}\n`,
    );
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

function adapters(cfg: WorkerConfig): {
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
    sink = new KafkaSink({ brokers: cfg.kafkaBrokers, clientId: `ripple-${cfg.workerId}` });
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
  let cfg: WorkerConfig;
  try {
    cfg = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ripple worker: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = jsonLogger(cfg.workerId);
  const metrics = new WorkerMetrics(cfg.workerId);
  const tracing = startTracing(
    process.env.OTEL_SERVICE_NAME || 'ripple-worker',
    cfg.workerId,
    cfg.otlpEndpoint,
    (m) => log.warn('tracing', { detail: m }),
  );
  const ports = adapters(cfg);
  const worker = new Worker({ config: cfg, job: vwapJob, ...ports, metrics, logger: log });
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
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      log.warn('second signal: exiting without drain', { signal: sig });
      process.exit(1);
    }
    log.info('draining', { signal: sig, graceSec: cfg.shutdownGraceSec });
    worker.requestStop();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    await worker.start();
    const stored = await worker.run();
    if (!stored) {
      log.error('stopped without storing the final checkpoint; exiting 1', { progress: worker.progress() });
      return 1;
    }
    log.info('stopped', { progress: worker.progress() });
    return 0;
  } catch (e) {
    log.error('worker failed', { error: String(e), stack: (e as Error).stack });
    if (worker.lifecycle.canTransition('failed')) worker.lifecycle.transition('failed');
    return 1;
  } finally {
    await http.close();
    await tracing.shutdown();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ripple worker: ${String(e)}\n`);
    process.exit(1);
  },
);
