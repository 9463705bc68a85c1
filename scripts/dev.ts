// `pnpm turbo dev` (or `pnpm dev`): every app against the real local services
// (`pnpm infra:up`, then `source infra/.run/env`), in watch mode (`node --watch`:
// an edit restarts the process). Each app's `dev` script runs one role here:
//
//   node scripts/dev.ts coordinator | checkpointer | workers
//
// `workers` starts RIPPLE_DEV_WORKERS (default 3) worker processes (dev-worker-0..),
// each with its own health/metrics ports. Before starting, a role checks that its
// services answer (a TCP connect to Kafka, NATS, S3) and says exactly what to run
// when they do not; `workers` creates the topics and the bucket when missing.
// Ctrl-C (SIGINT) or SIGTERM is passed to the apps, which drain and checkpoint.
//
// Settings (environment, passed through turbo by turbo.json's globalPassThroughEnv):
//   RIPPLE_CLUSTER (dev), RIPPLE_NUM_PARTITIONS (8), RIPPLE_DEV_WORKERS (3),
//   RIPPLE_DEV_PORT_BASE (9100: worker i serves health on base + 10 i, metrics on base + 10 i + 2),
//   RIPPLE_INPUT_TOPIC / RIPPLE_OUTPUT_TOPIC / RIPPLE_DLQ_TOPIC (trades, vwap-output, trades-dlq),
//   KAFKA_BROKERS, NATS_URL, S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
type Env = Record<string, string | undefined>;
type Role = 'coordinator' | 'checkpointer' | 'workers';
const ROLES: readonly Role[] = ['coordinator', 'checkpointer', 'workers'];

/** The services a role needs: [what, variable, host:port]. */
export function needs(role: Role, env: Env): { missing: string[]; endpoints: Array<[string, string]> } {
  const want: Array<[string, string]> =
    role === 'coordinator'
      ? [['NATS', 'NATS_URL']]
      : [
          ['NATS', 'NATS_URL'],
          ['S3', 'S3_ENDPOINT'],
        ];
  if (role === 'workers') want.push(['Kafka', 'KAFKA_BROKERS']);
  if (role !== 'coordinator') want.push(['S3 bucket', 'S3_BUCKET']);
  const missing = want.filter(([, v]) => !env[v]).map(([, v]) => v);
  const endpoints: Array<[string, string]> = [];
  for (const [what, v] of want) {
    const value = env[v];
    if (!value || what === 'S3 bucket') continue;
    const first = value.split(',')[0] as string;
    const hostPort = first.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
    endpoints.push([`${what} (${v}=${value})`, hostPort]);
  }
  return { missing, endpoints };
}

function reachable(hostPort: string, timeoutMs = 1500): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i) || '127.0.0.1';
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export const WHAT_TO_RUN =
  'start the local services and load their addresses first:\n' +
  '  pnpm infra:up && source infra/.run/env && pnpm turbo dev\n' +
  '(or, with no services at all: pnpm start — the embedded cluster)';

/** null when the role can start; else the message saying what to run. */
export async function preflight(role: Role, env: Env): Promise<string | null> {
  const { missing, endpoints } = needs(role, env);
  if (missing.length > 0) return `ripple dev ${role}: ${missing.join(', ')} not set; ${WHAT_TO_RUN}`;
  const down: string[] = [];
  for (const [what, hp] of endpoints) if (!(await reachable(hp))) down.push(`${what} does not answer`);
  if (down.length > 0) return `ripple dev ${role}: ${down.join('; ')}; ${WHAT_TO_RUN}`;
  return null;
}

/** Topics (input, output, dlq, late) and the bucket, created when missing. */
async function ensureResources(env: Env, partitions: number): Promise<void> {
  const { Admin } = await import('@platformatic/kafka');
  const input = env.RIPPLE_INPUT_TOPIC || 'trades';
  const topics = [
    input,
    env.RIPPLE_OUTPUT_TOPIC || 'vwap-output',
    env.RIPPLE_DLQ_TOPIC || 'trades-dlq',
    `${input}-late`,
  ];
  const admin = new Admin({
    clientId: 'ripple-dev',
    bootstrapBrokers: (env.KAFKA_BROKERS as string).split(','),
  });
  try {
    const have = new Set(await admin.listTopics());
    const create = topics.filter((t) => !have.has(t));
    if (create.length > 0) {
      await admin.createTopics({ topics: create, partitions, replicas: 1 });
      log(`created topics ${create.join(', ')} (${partitions} partitions)`);
    }
  } finally {
    await admin.close();
  }
  const { S3Client, HeadBucketCommand, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    endpoint: env.S3_ENDPOINT as string,
    region: env.S3_REGION || 'us-east-1',
    forcePathStyle: true,
    ...(env.S3_ACCESS_KEY_ID
      ? {
          credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '' },
        }
      : {}),
  });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: env.S3_BUCKET }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: env.S3_BUCKET }));
    log(`created bucket ${env.S3_BUCKET}`);
  }
  s3.destroy();
}

function log(msg: string): void {
  process.stderr.write(`ripple dev: ${msg}\n`);
}

/** The processes of a role: app entry point and environment. */
export function processes(role: Role, env: Env): Array<{ name: string; entry: string; env: Env }> {
  const cluster = env.RIPPLE_CLUSTER || 'dev';
  const partitions = env.RIPPLE_NUM_PARTITIONS || '8';
  const base = { ...env, RIPPLE_CLUSTER: cluster, RIPPLE_NUM_PARTITIONS: partitions };
  if (role === 'coordinator')
    return [
      {
        name: 'coordinator',
        entry: 'apps/coordinator/src/main.ts',
        env: { ...base, RIPPLE_COORDINATOR_ID: env.RIPPLE_COORDINATOR_ID || 'dev-coordinator' },
      },
    ];
  if (role === 'checkpointer')
    return [
      {
        name: 'checkpointer',
        entry: 'apps/checkpointer/src/main.ts',
        env: { ...base, RIPPLE_INSTANCE_ID: env.RIPPLE_INSTANCE_ID || 'dev-checkpointer' },
      },
    ];
  const n = Number(env.RIPPLE_DEV_WORKERS || '3');
  const ports = Number(env.RIPPLE_DEV_PORT_BASE || '9100');
  return Array.from({ length: n }, (_, i) => ({
    name: `dev-worker-${i}`,
    entry: 'apps/worker/src/main.ts',
    env: {
      ...base,
      RIPPLE_WORKER_ID: `dev-worker-${i}`,
      RIPPLE_SOURCE: 'kafka',
      RIPPLE_SNAPSHOT_STORE: 's3',
      // cluster checkpoints (the `checkpointer` role), in its layout: its RIPPLE_S3_PREFIX when set
      RIPPLE_CHECKPOINT_MODE: env.RIPPLE_CHECKPOINT_MODE || 'cluster',
      ...(env.RIPPLE_S3_PREFIX ? { RIPPLE_CHECKPOINT_PREFIX: env.RIPPLE_S3_PREFIX } : {}),
      RIPPLE_HEALTH_PORT: String(ports + 10 * i),
      RIPPLE_METRICS_PORT: String(ports + 2 + 10 * i),
    },
  }));
}

async function main(argv: string[], env: Env): Promise<number> {
  const role = argv[0] as Role;
  if (!ROLES.includes(role)) {
    process.stderr.write(`usage: node scripts/dev.ts ${ROLES.join('|')}\n`);
    return 2;
  }
  const problem = await preflight(role, env);
  if (problem !== null) {
    process.stderr.write(`${problem}\n`);
    return 1;
  }
  if (role === 'workers') await ensureResources(env, Number(env.RIPPLE_NUM_PARTITIONS || '8'));
  const children: ChildProcess[] = [];
  for (const p of processes(role, env)) {
    const child = spawn(
      process.execPath,
      [
        '--watch',
        '--conditions=@ripple/source',
        '--import',
        '@ripple/telemetry/register',
        join(ROOT, p.entry),
      ],
      {
        cwd: ROOT,
        env: p.env as NodeJS.ProcessEnv,
        stdio: 'inherit',
        // Own process group: a terminal's Ctrl-C reaches the apps once (forwarded below), not
        // twice (a second signal makes an app exit without draining).
        detached: true,
      },
    );
    log(`${p.name} started (pid ${child.pid})`);
    children.push(child);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${children.length} process(es) (they drain; killed after 30 s)`);
    for (const c of children) if (c.exitCode === null) c.kill(signal);
    setTimeout(() => {
      for (const c of children)
        if (c.exitCode === null && c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    }, 30_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
  });
  const codes = await Promise.all(
    children.map((c) => new Promise<number>((r) => c.once('exit', (code) => r(code ?? 1)))),
  );
  return Math.max(0, ...codes);
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2), process.env);
