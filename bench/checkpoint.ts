// `pnpm bench checkpoint [--json] [--checkpoints N]` (needs `pnpm infra:up` and `source infra/.run/env`):
// the checkpointer process on the real S3 (Ceph RGW) and NATS, with 8
// partitions x 2,000 keys owned by two in-process workers that change 1 % of
// each partition's keys between checkpoints (steady load) and snapshot as the
// checkpoint protocol says: full when the chain policy asks for it,
// otherwise the changed keys only, uploaded to S3, acked over NATS.
// Figures: trigger-to-commit (the checkpointer's own duration, after the
// manifest is durable) p50/p99, bytes of the first (full) checkpoint and of a
// checkpoint after 1 % of the keys changed. The snapshot payload here is
// JSON key/value entries, not the engine's binary format: compare the
// ratio, not the absolute bytes. throughput_drop_pct needs the worker's
// snapshot at a consistent point, which is not wired to the checkpointer yet:
// printed as null, never made up.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { S3ObjectStore } from '@ripple/object-store';
import {
  type CheckpointAck,
  checkpointLayout,
  clusterSubjects,
  crc32c,
  decodeControlMessage,
  decodeManifest,
  encodeControlMessage,
  nextSnapshotKind,
  type SnapshotObjectRef,
} from '@ripple/protocol';
import { requireEnv, uniqueId } from '../tests/integration/helpers.ts';
import { machine, percentile, printResult } from './_util.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const want = Number(args[args.indexOf('--checkpoints') + 1] ?? 0) || 30;
const PARTITIONS = 8;
const KEYS = 2000;
const CHANGE = KEYS / 100;
const env = requireEnv(
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
);
const id = uniqueId().replace(/[^A-Za-z0-9]/g, '');
const cluster = `bench${id}`;
const prefix = `bench-checkpoint/${id}`;
const layout = checkpointLayout(prefix);
const subjects = clusterSubjects(cluster);
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');

const store = new S3ObjectStore({
  endpoint: env.S3_ENDPOINT,
  region: env.S3_REGION,
  bucket: env.S3_BUCKET,
  accessKeyId: env.S3_ACCESS_KEY_ID,
  secretAccessKey: env.S3_SECRET_ACCESS_KEY,
});
const nc = await connect({ servers: env.NATS_URL, name: `ripple-bench-${cluster}` });

interface Part {
  state: Map<string, number>;
  changed: Set<string>;
  chain: SnapshotObjectRef[];
  offset: bigint;
}
const parts = new Map<number, Part>();
for (let p = 0; p < PARTITIONS; p++) {
  const state = new Map<string, number>();
  for (let k = 0; k < KEYS; k++) state.set(`SYM${String(k).padStart(4, '0')}@p${p}`, k * 1.5);
  parts.set(p, { state, changed: new Set(), chain: [], offset: 0n });
}
let tick = 0;
/** 1 % of every partition's keys change (steady load between checkpoints). */
function churn(): void {
  tick++;
  for (const [p, s] of parts)
    for (let i = 0; i < CHANGE; i++) {
      const key = `SYM${String((tick * 7919 + i * 101) % KEYS).padStart(4, '0')}@p${p}`;
      s.state.set(key, tick + i / 7);
      s.changed.add(key);
      s.offset++;
    }
}

const enc = new TextEncoder();
async function snapshot(p: number, s: Part, checkpointId: string, epoch: number): Promise<CheckpointAck> {
  const kind = s.changed.size === 0 && s.chain.length > 0 ? null : nextSnapshotKind(s.chain);
  let ref: SnapshotObjectRef;
  let prefixChain: SnapshotObjectRef[];
  if (kind === null) {
    ref = s.chain.at(-1)!;
    prefixChain = s.chain.slice(0, -1);
  } else {
    const entries = kind === 'full' ? [...s.state] : [...s.changed].map((k) => [k, s.state.get(k)!]);
    const bytes = enc.encode(JSON.stringify({ partition: p, kind, entries }));
    const key = layout.snapshotKey(p, checkpointId, kind);
    await store.put(key, bytes);
    ref = { key, bytes: bytes.length, crc32c: crc32c(bytes), kind };
    prefixChain = kind === 'full' ? [] : [...s.chain];
    s.chain = [...prefixChain, ref];
    s.changed.clear();
  }
  return {
    type: 'checkpoint_ack',
    v: 1,
    checkpointId,
    epoch,
    workerId: `bw${p % 2}`,
    partition: p,
    snapshotKey: ref.key,
    bytes: ref.bytes,
    crc32c: ref.crc32c,
    offsets: [{ topic: 'trades', partition: p, offset: s.offset }],
    ...(prefixChain.length > 0 ? { chain: prefixChain } : {}),
  };
}

nc.subscribe(subjects.checkpointTrigger, {
  callback: (err, m) => {
    if (err !== null) return;
    const t = decodeControlMessage(m.data);
    if (t.type !== 'checkpoint_trigger') return;
    void Promise.all([...parts].map(([p, s]) => snapshot(p, s, t.checkpointId, t.epoch))).then((acks) => {
      for (const a of acks)
        nc.publish(
          subjects.checkpointAck,
          encodeControlMessage(a),
          m.headers === undefined ? undefined : { headers: m.headers },
        );
      churn(); // the load goes on between checkpoints
    });
  },
});
await nc.flush();

const durations: number[] = [];
const written: Array<{ full: number; incremental: number }> = [];
const child = spawn(
  process.execPath,
  ['--conditions=@ripple/source', join(root, 'apps/checkpointer/src/main.ts')],
  {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ...env,
      RIPPLE_CLUSTER: cluster,
      RIPPLE_S3_PREFIX: prefix,
      RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
      RIPPLE_CHECKPOINTS_RETAINED: '5',
      RIPPLE_HOST: '127.0.0.1',
      RIPPLE_HEALTH_PORT: '0',
      RIPPLE_METRICS_PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let buf = '';
child.stderr.on('data', (d: Buffer) => {
  buf += d.toString();
  for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    try {
      const j = JSON.parse(line) as {
        msg?: string;
        durationMs?: number;
        written?: { full: number; incremental: number };
      };
      if (j.msg === 'checkpoint committed' && j.durationMs !== undefined && j.written !== undefined) {
        durations.push(j.durationMs);
        written.push(j.written);
        if (!json)
          process.stdout.write(
            `commit ${durations.length}: ${j.durationMs} ms, full ${j.written.full} B, incremental ${j.written.incremental} B\n`,
          );
      }
    } catch {}
  }
});
const assignment = encodeControlMessage({
  type: 'assignment',
  v: 1,
  epoch: 1,
  numPartitions: PARTITIONS,
  owners: [...parts.keys()].map((p) => ({ partition: p, workerId: `bw${p % 2}` })),
});
const republish = setInterval(() => nc.publish(subjects.assignment, assignment), 500);
const deadline = Date.now() + want * 1000 * 3 + 30_000;
while (durations.length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
clearInterval(republish);
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
await exited;

// the manifests in S3 agree with the log
const manifests = await store.list(layout.manifestsPrefix);
const last = manifests.at(-1);
const lastManifest = last === undefined ? null : decodeManifest((await store.get(last.key))!);
await store.delete((await store.list(`${prefix}/`)).map((o) => o.key));
store.close();
await nc.drain();

if (durations.length < want) {
  console.error(`only ${durations.length} of ${want} checkpoints committed in time`);
  process.exit(1);
}
const incremental = written.slice(1).filter((w) => w.full === 0 && w.incremental > 0);
const bytesFull = written[0]!.full;
const bytesIncr =
  incremental.length === 0
    ? Number.NaN
    : percentile(
        incremental.map((w) => w.incremental),
        0.5,
      );
printResult(
  {
    suite: 'checkpoint',
    commit_ms_p50: percentile(durations, 0.5),
    commit_ms_p99: percentile(durations, 0.99),
    throughput_drop_pct: null,
    bytes_full: bytesFull,
    bytes_incremental_1pct: bytesIncr,
    incremental_pct_of_full: Math.round((bytesIncr / bytesFull) * 10000) / 100,
    checkpoints: durations.length,
    partitions: PARTITIONS,
    keys_per_partition: KEYS,
    manifest_bytes: last?.size ?? null,
    manifest_partitions: lastManifest?.partitions.length ?? null,
    machine: machine(),
  },
  json,
);
