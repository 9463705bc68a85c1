// The testcontainers service provider (decision 0011): Kafka (KRaft), NATS
// with JetStream, an S3 API (MinIO) and Jaeger as containers, on the host
// network (the engine on our machines has no bridge, and host networking works
// on every Linux engine) with free ports, so that they never meet the shared
// services on the default ports. Waits until each answers its real API, creates
// the topics and the bucket that infra/up.sh creates, and returns the same
// environment infra/.run/env exports. Official images by default, each
// overridable by the variable compose.yaml uses (KAFKA_IMAGE, NATS_IMAGE,
// MINIO_IMAGE, JAEGER_IMAGE); infra/service-images.sh builds local ones with
// the same interface.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Admin } from '@platformatic/kafka';
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { freePorts } from './free-ports.ts';

export type ServiceName = 'kafka' | 'nats' | 's3' | 'jaeger';
export type ServiceImages = Readonly<Record<ServiceName, string>>;

/** What a contributor with Docker Hub gets; the same versions as compose.yaml. */
export const OFFICIAL_IMAGES: ServiceImages = {
  kafka: 'apache/kafka:3.9.1',
  nats: 'nats:2.10',
  s3: 'minio/minio:RELEASE.2025-04-22T22-12-26Z',
  jaeger: 'jaegertracing/jaeger:2.13.0',
};

/** The variable that overrides each image (the names compose.yaml reads). */
export const IMAGE_VARIABLES: Readonly<Record<ServiceName, string>> = {
  kafka: 'KAFKA_IMAGE',
  nats: 'NATS_IMAGE',
  s3: 'MINIO_IMAGE',
  jaeger: 'JAEGER_IMAGE',
};

export function imagesFromEnv(env: Readonly<Record<string, string | undefined>>): ServiceImages {
  const pick = (s: ServiceName): string => env[IMAGE_VARIABLES[s]]?.trim() || OFFICIAL_IMAGES[s];
  return { kafka: pick('kafka'), nats: pick('nats'), s3: pick('s3'), jaeger: pick('jaeger') };
}

/** The topics infra/kafka.sh creates, with their partition counts. */
export const KAFKA_TOPICS: readonly (readonly [string, number])[] = [
  ['trades', 8],
  ['vwap-output', 8],
  ['trades-dlq', 8],
];
export const S3_BUCKET = 'ripple-checkpoints';
const S3_REGION = 'us-east-1';
const S3_ACCESS_KEY = 'rippletcaccess';
const S3_SECRET_KEY = 'rippletcsecretkey0123456789';
const JAEGER_CONFIG = fileURLToPath(new URL('../../../infra/jaeger/config.yaml', import.meta.url));

/** A service container did not start or did not become ready in time. */
export class ServiceStartError extends Error {
  readonly code = 'SERVICE_CONTAINER_START_FAILED';
  readonly retryable = false;
  readonly service: ServiceName;
  readonly image: string;
  readonly logTail: string;
  constructor(service: ServiceName, image: string, reason: string, logTail: string) {
    super(
      `${service} container (${image}) ${reason}` +
        (logTail ? `\n----- last lines of its log -----\n${logTail}\n-----` : ''),
    );
    this.name = 'ServiceStartError';
    this.service = service;
    this.image = image;
    this.logTail = logTail;
  }
}

export interface ServiceTiming {
  readonly service: ServiceName;
  readonly image: string;
  /** create + start of the container */
  readonly startMs: number;
  /** from started to answering its API (topics/bucket created) */
  readonly readyMs: number;
}

export interface RunningServices {
  /** the same variables infra/.run/env exports */
  readonly env: Readonly<Record<string, string>>;
  readonly timings: readonly ServiceTiming[];
  stop(): Promise<void>;
}

export interface ContainerServicesOptions {
  readonly images: ServiceImages;
  /** per service, from container start to ready (default 120 s: Kafka's JVM on a loaded machine) */
  readonly readyTimeoutMs?: number;
  readonly log: (line: string) => void;
}

/** One service: how to run its container and how to tell it answers. */
interface ServiceSpec {
  readonly name: ServiceName;
  readonly portCount: number;
  container(image: string, ports: readonly number[]): GenericContainer;
  /** resolves once ready (throws meanwhile); returns the env it contributes */
  ready(ports: readonly number[]): Promise<Record<string, string>>;
}

const kafka: ServiceSpec = {
  name: 'kafka',
  portCount: 2,
  container: (image, [broker, controller]) =>
    // The apache/kafka image's convention (KAFKA_<NAME> = property), also implemented by
    // infra/service-images/kafka-entrypoint.sh; the same settings as infra/kafka.sh.
    new GenericContainer(image).withEnvironment({
      CLUSTER_ID: 'cmlwcGxlLXRlc3Rjb250YQ',
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `1@127.0.0.1:${controller}`,
      KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${broker},CONTROLLER://127.0.0.1:${controller}`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${broker}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
      KAFKA_NUM_PARTITIONS: '8',
      KAFKA_DEFAULT_REPLICATION_FACTOR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '8',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '8',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_NETWORK_THREADS: '2',
      KAFKA_NUM_IO_THREADS: '4',
      KAFKA_HEAP_OPTS: '-Xmx512m -Xms256m',
    }),
  async ready([broker]) {
    const bootstrap = `127.0.0.1:${broker}`;
    const admin = new Admin({ clientId: 'ripple-tc-setup', bootstrapBrokers: [bootstrap] });
    try {
      await admin.metadata({ topics: [] });
      const names = KAFKA_TOPICS.map(([t]) => t);
      const existing = new Set(await admin.listTopics());
      for (const [topic, partitions] of KAFKA_TOPICS) {
        if (!existing.has(topic)) await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      }
      const meta = await admin.metadata({ topics: names });
      for (const [topic, partitions] of KAFKA_TOPICS) {
        const got = meta.topics.get(topic)?.partitionsCount;
        if (got !== partitions) throw new Error(`topic ${topic} has ${got} partitions, want ${partitions}`);
      }
    } finally {
      await admin.close();
    }
    return { KAFKA_BROKERS: bootstrap };
  },
};

const nats: ServiceSpec = {
  name: 'nats',
  portCount: 2,
  // the nats image's entrypoint is nats-server: these are its arguments
  container: (image, [client, monitor]) =>
    new GenericContainer(image).withCommand([
      '-a',
      '127.0.0.1',
      '-p',
      String(client),
      '-m',
      String(monitor),
      '-js',
      '-sd',
      '/tmp/nats-jetstream',
      '-n',
      'ripple-tc',
    ]),
  async ready([client, monitor]) {
    const res = await fetch(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`);
    if (res.status !== 200) throw new Error(`healthz answered ${res.status}`);
    return { NATS_URL: `nats://127.0.0.1:${client}` };
  },
};

const s3: ServiceSpec = {
  name: 's3',
  portCount: 2,
  container: (image, [api, consoleUi]) =>
    new GenericContainer(image)
      .withEnvironment({ MINIO_ROOT_USER: S3_ACCESS_KEY, MINIO_ROOT_PASSWORD: S3_SECRET_KEY })
      .withCommand([
        'server',
        '/tmp/minio-data',
        '--address',
        `127.0.0.1:${api}`,
        '--console-address',
        `127.0.0.1:${consoleUi}`,
      ]),
  async ready([api]) {
    const endpoint = `http://127.0.0.1:${api}`;
    const client = new S3Client({
      endpoint,
      region: S3_REGION,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: S3_BUCKET }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
    } finally {
      client.destroy();
    }
    return {
      S3_ENDPOINT: endpoint,
      S3_REGION,
      S3_ACCESS_KEY_ID: S3_ACCESS_KEY,
      S3_SECRET_ACCESS_KEY: S3_SECRET_KEY,
      S3_BUCKET,
    };
  },
};

const jaeger: ServiceSpec = {
  name: 'jaeger',
  portCount: 5,
  // infra/jaeger/config.yaml (all-in-one, in-memory store, 127.0.0.1), ports from the environment
  container: (image, [otlpHttp, otlpGrpc, queryHttp, queryGrpc, health]) =>
    new GenericContainer(image)
      .withCopyFilesToContainer([{ source: JAEGER_CONFIG, target: '/tmp/ripple-jaeger.yaml', mode: 0o644 }])
      .withEnvironment({
        JAEGER_OTLP_HTTP_PORT: String(otlpHttp),
        JAEGER_OTLP_GRPC_PORT: String(otlpGrpc),
        JAEGER_QUERY_HTTP_PORT: String(queryHttp),
        JAEGER_QUERY_GRPC_PORT: String(queryGrpc),
        JAEGER_HEALTH_PORT: String(health),
      })
      .withCommand(['--config', 'file:/tmp/ripple-jaeger.yaml']),
  async ready([otlpHttp, , queryHttp, , health]) {
    const status = await fetch(`http://127.0.0.1:${health}/status`);
    if (status.status !== 200) throw new Error(`health answered ${status.status}`);
    const services = await fetch(`http://127.0.0.1:${queryHttp}/api/services`);
    if (services.status !== 200) throw new Error(`query API answered ${services.status}`);
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpHttp}`,
      JAEGER_QUERY_URL: `http://127.0.0.1:${queryHttp}`,
    };
  },
};

export const SERVICES: readonly ServiceSpec[] = [kafka, nats, s3, jaeger];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The container's last log lines (stdout and stderr), best effort. */
async function logTail(container: StartedTestContainer | undefined, lines = 40): Promise<string> {
  if (!container) return '';
  try {
    const stream = await container.logs({ tail: lines });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    await Promise.race([new Promise((r) => stream.once('end', r)), sleep(1_000)]);
    stream.destroy();
    return Buffer.concat(chunks).toString('utf8').trimEnd();
  } catch (e) {
    return `(no log: ${String(e)})`;
  }
}

async function stillRunning(container: StartedTestContainer): Promise<boolean> {
  const client = await getContainerRuntimeClient();
  const info = await client.container.inspect(client.container.getById(container.getId()));
  return info.State.Running;
}

interface Started {
  readonly spec: ServiceSpec;
  readonly container: StartedTestContainer;
  readonly env: Record<string, string>;
  readonly timing: ServiceTiming;
}

async function startOne(
  spec: ServiceSpec,
  image: string,
  ports: readonly number[],
  runId: string,
  readyTimeoutMs: number,
  onStarted: (c: StartedTestContainer) => void,
): Promise<Started> {
  const t0 = performance.now();
  let container: StartedTestContainer;
  try {
    container = await spec
      .container(image, ports)
      .withNetworkMode('host')
      .withName(`ripple-tc-${spec.name}-${runId}`)
      .withLabels({ 'org.ripple.testcontainers-run': runId })
      .start();
  } catch (e) {
    throw new ServiceStartError(spec.name, image, `did not start: ${String(e)}`, '');
  }
  onStarted(container);
  const t1 = performance.now();
  const deadline = t1 + readyTimeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const env = await spec.ready(ports);
      const timing = {
        service: spec.name,
        image,
        startMs: Math.round(t1 - t0),
        readyMs: Math.round(performance.now() - t1),
      };
      return { spec, container, env, timing };
    } catch (e) {
      last = e;
    }
    if (!(await stillRunning(container))) {
      throw new ServiceStartError(spec.name, image, 'exited before it was ready', await logTail(container));
    }
    if (performance.now() > deadline) {
      throw new ServiceStartError(
        spec.name,
        image,
        `not ready after ${readyTimeoutMs} ms (ports ${ports.join(', ')}; last error: ${String(last)})`,
        await logTail(container),
      );
    }
    await sleep(250);
  }
}

/**
 * Starts the four services at once; on any failure stops what did start and
 * throws (a ServiceStartError with the container's log tail).
 */
export async function startContainerServices(opts: ContainerServicesOptions): Promise<RunningServices> {
  const runId = randomBytes(4).toString('hex');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const containers: StartedTestContainer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      containers.map((c) =>
        c.stop({ timeout: 10_000 }).catch((e: unknown) => {
          opts.log(`could not stop container ${c.getName()}: ${String(e)}`);
        }),
      ),
    );
  };
  // all ports from one call, so that no two services can be handed the same one
  const ports = await freePorts(SERVICES.reduce((n, spec) => n + spec.portCount, 0));
  const results = await Promise.allSettled(
    SERVICES.map((spec) => {
      const own = ports.splice(0, spec.portCount);
      return startOne(spec, opts.images[spec.name], own, runId, readyTimeoutMs, (c) => containers.push(c));
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await stopAll();
    const [first, ...more] = failed.map((f) => f.reason as unknown);
    if (more.length === 0) throw first;
    throw new AggregateError([first, ...more], failed.map((f) => String(f.reason)).join('\n\n'));
  }
  const started = results.map((r) => (r as PromiseFulfilledResult<Started>).value);
  return {
    env: Object.assign({}, ...started.map((s) => s.env)) as Record<string, string>,
    timings: started.map((s) => s.timing),
    stop: stopAll,
  };
}
