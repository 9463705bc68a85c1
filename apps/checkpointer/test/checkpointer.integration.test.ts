// The checkpointer process against the REAL S3 (Ceph RGW) and NATS from
// infra/up.sh, with simulated workers that upload real objects and ack over
// real NATS. The process's S3 goes through a fault proxy that can refuse
// writes. Unique cluster name, subjects and prefix per run; everything is
// removed afterwards; the process is stopped by its pid.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsBus, NatsKv } from '@ripple/cluster-nats';
import { S3ObjectStore } from '@ripple/object-store';
import {
  type Assignment,
  type CheckpointManifest,
  checkpointLayout,
  clusterSubjects,
  decodeControlMessage,
  decodeManifest,
  decodeRestoreReply,
  encodeControlMessage,
  encodeRestoreRequest,
  type RestorePlanReply,
  referencedKeys,
} from '@ripple/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FaultProxy } from './s3-fault-proxy.ts';
import { restoreState, SimWorker } from './sim-worker.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function env(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `the checkpointer integration suite needs ${name}: run \`pnpm infra:up\` and \`source infra/.run/env\``,
    );
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    await sleep(100);
  }
  throw new Error(
    `${what}: not within ${timeoutMs} ms${last === undefined ? '' : ` (last error: ${String(last)})`}`,
  );
}

const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const cluster = `ckit${run}`;
const prefix = `it-checkpointer/${run}`;
const layout = checkpointLayout(prefix);
const subjects = clusterSubjects(cluster);

interface Proc {
  child: ChildProcess;
  port: number;
  logs: string[];
}

let proxy: S3FaultProxy;
let store: S3ObjectStore;
let bus: NatsBus;
let nc: NatsConnection;
let proc: Proc | null = null;
let workers: SimWorker[] = [];
let assignmentTimer: NodeJS.Timeout | null = null;
let current: Assignment;
const triggers: string[] = [];

async function startProcess(extraEnv: Record<string, string> = {}, waitReady = true): Promise<Proc> {
  const child = spawn(
    process.execPath,
    ['--conditions=@ripple/source', join(ROOT, 'apps/checkpointer/src/main.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NATS_URL: env('NATS_URL'),
        S3_ENDPOINT: proxy.endpoint,
        S3_REGION: env('S3_REGION'),
        S3_BUCKET: env('S3_BUCKET'),
        S3_ACCESS_KEY_ID: env('S3_ACCESS_KEY_ID'),
        S3_SECRET_ACCESS_KEY: env('S3_SECRET_ACCESS_KEY'),
        RIPPLE_CLUSTER: cluster,
        RIPPLE_S3_PREFIX: prefix,
        RIPPLE_CHECKPOINT_INTERVAL_SEC: '0.5',
        RIPPLE_CHECKPOINT_TIMEOUT_SEC: '2',
        RIPPLE_COMMIT_TIMEOUT_SEC: '20',
        RIPPLE_CHECKPOINTS_RETAINED: '3',
        RIPPLE_S3_REQUEST_TIMEOUT_MS: '2000',
        RIPPLE_HOST: '127.0.0.1',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
        ...extraEnv,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const logs: string[] = [];
  let port = 0;
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      logs.push(line);
      try {
        const j = JSON.parse(line) as { msg?: string; healthPort?: number };
        if (j.msg === 'listening' && j.healthPort !== undefined) port = j.healthPort;
      } catch {}
    }
  });
  const p = { child, port: 0, logs };
  await eventually('checkpointer listening', 20_000, async () => (port > 0 ? true : undefined));
  p.port = port;
  if (waitReady)
    await eventually('checkpointer ready', 20_000, async () =>
      (await http(p, '/ready')).status === 200 ? true : undefined,
    );
  return p;
}

async function stopProcess(p: Proc): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  p.child.kill('SIGTERM');
  return exited;
}

async function http(p: Proc, path: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${p.port}${path}`);
  return { status: r.status, text: await r.text() };
}

async function metric(name: string, labels = '', p: Proc = proc!): Promise<number> {
  const text = (await http(p, '/metrics')).text;
  const re = new RegExp(`^${name}\\{${labels}[^}]*\\} (\\S+)$`, 'm');
  const m = re.exec(text);
  return m === null ? 0 : Number(m[1]);
}

async function manifests(): Promise<CheckpointManifest[]> {
  const out: CheckpointManifest[] = [];
  for (const o of await store.list(layout.manifestsPrefix)) {
    const b = await store.get(o.key);
    if (b !== null) out.push(decodeManifest(b));
  }
  return out.sort((a, b) => a.seq - b.seq);
}

async function lookup(partition: number): Promise<RestorePlanReply> {
  const m = await bus.request(
    subjects.checkpointLookup,
    encodeRestoreRequest({ type: 'restore_request', v: 1, requestId: `it${partition}`, partition }),
    { timeoutMs: 10_000 },
  );
  return decodeRestoreReply(m.data);
}

function publishAssignment(a: Assignment): void {
  current = a;
  bus.publish(subjects.assignment, encodeControlMessage(a));
}

function churnAll(n: number, seed: number): void {
  for (const w of workers) for (const p of w.partitions.keys()) w.churn(p, n, seed + p);
}

/** the newest committed checkpoint, once one newer than `after` and triggered after now exists */
async function nextCommit(after: number, timeoutMs = 20_000): Promise<CheckpointManifest> {
  const since = Date.now();
  return eventually(`a checkpoint committed after seq ${after}`, timeoutMs, async () => {
    const ms = await manifests();
    const m = ms[ms.length - 1];
    return m !== undefined && m.seq > after && m.triggeredAtMs >= since ? m : undefined;
  }).catch((e: unknown) => {
    const ws = workers.map((w) => ({
      id: w.id,
      alive: w.alive,
      failures: w.uploadFailures,
      last: String(w.lastError),
      acked: w.acked
        .slice(-5)
        .map((a) => `${a.checkpointId.slice(3, 15)}:${a.partition}:${a.snapshotKey.split('/').pop()}`),
      triggers: triggers.slice(-3),
      withhold: [...w.withhold],
    }));
    throw new Error(
      `${String(e)}\nworkers: ${JSON.stringify(ws)}\nlast checkpointer logs:\n${proc?.logs.slice(-6).join('\n')}`,
    );
  });
}

beforeAll(async () => {
  proxy = await S3FaultProxy.start(env('S3_ENDPOINT'));
  store = new S3ObjectStore({
    endpoint: env('S3_ENDPOINT'),
    region: env('S3_REGION'),
    bucket: env('S3_BUCKET'),
    accessKeyId: env('S3_ACCESS_KEY_ID'),
    secretAccessKey: env('S3_SECRET_ACCESS_KEY'),
  });
  nc = await connect({ servers: env('NATS_URL').split(','), name: `ripple-it-${cluster}` });
  bus = new NatsBus(nc);
  bus.subscribe(subjects.checkpointTrigger, (m) => {
    const t = decodeControlMessage(m.data);
    if (t.type === 'checkpoint_trigger') triggers.push(t.checkpointId);
  });
  workers = [
    new SimWorker(bus, store, layout, cluster, 'w0', 1, [0, 1]),
    new SimWorker(bus, store, layout, cluster, 'w1', 1, [2, 3]),
  ];
  proc = await startProcess();
  // the coordinator's role: publish the assignment (again every 300 ms, as a restarted checkpointer needs it)
  publishAssignment({
    type: 'assignment',
    v: 1,
    epoch: 1,
    numPartitions: 4,
    owners: [0, 1, 2, 3].map((p) => ({ partition: p, workerId: p < 2 ? 'w0' : 'w1' })),
  });
  assignmentTimer = setInterval(() => bus.publish(subjects.assignment, encodeControlMessage(current)), 300);
}, 60_000);

afterAll(async () => {
  if (assignmentTimer !== null) clearInterval(assignmentTimer);
  if (proc !== null) await stopProcess(proc);
  for (const w of workers) w.stop();
  // the HA test's lease bucket (JetStream KV) goes too
  if (nc !== undefined) {
    await (await NatsKv.open(nc, subjects.leaseBucket)).destroy();
    await nc.drain();
  }
  if (store !== undefined) {
    await store.delete((await store.list(`${prefix}/`)).map((o) => o.key));
    store.close();
  }
  await proxy?.stop();
});

describe('checkpointer on real S3 and NATS', () => {
  it('commits checkpoints: manifests in S3 reference objects that exist with their size; metrics and readiness', async () => {
    churnAll(100, 1);
    const m1 = await nextCommit(0);
    expect(m1.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    for (const p of m1.partitions)
      for (const o of p.chain) expect((await store.head(o.key))?.size).toBe(o.bytes);
    churnAll(2, 50);
    const m2 = await nextCommit(m1.seq);
    expect(m2.written.incremental).toBeGreaterThan(0);
    expect(await metric('ripple_checkpoint_committed_total')).toBeGreaterThanOrEqual(2);
    expect(await metric('ripple_checkpoint_latest_committed_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    expect((await http(proc!, '/health')).status).toBe(200);
    expect((await http(proc!, '/ready')).status).toBe(200);
  });

  it('a worker dying mid-checkpoint: that checkpoint is aborted, never committed; the next ones commit', async () => {
    const before = await metric('ripple_checkpoint_aborted_total', 'reason="ack_timeout"');
    const w1 = workers[1]!;
    const firstTrigger = triggers.length;
    w1.churn(3, 5, 77);
    w1.withhold.add(3); // uploads its snapshot of partition 3, never acks it
    try {
      await eventually('an ack timeout', 15_000, async () =>
        (await metric('ripple_checkpoint_aborted_total', 'reason="ack_timeout"')) > before ? true : undefined,
      );
      // the checkpoints triggered since (one was aborted) are not committed; the newest committed one is older
      const since = triggers.slice(firstTrigger);
      const committed = await manifests();
      const ids = new Set(committed.map((m) => m.checkpointId));
      const aborted = since.filter((id) => !ids.has(id));
      expect(aborted.length).toBeGreaterThan(0);
      const abortedSeq = Math.min(...aborted.map((id) => Number(id.slice(3, 15))));
      expect(committed.at(-1)!.seq).toBeLessThan(abortedSeq);
    } finally {
      w1.withhold.clear();
    }
    const latest = (await manifests()).at(-1)!;
    const after = await nextCommit(latest.seq);
    // the object partition 3 uploaded for an aborted checkpoint is referenced once its ack gets through
    expect(after.partitions[3]!.chain.at(-1)!.key).toContain(after.partitions[3]!.writtenBy);
    const ids = new Set((await manifests()).map((m) => m.checkpointId));
    expect(after.seq).toBeGreaterThan(latest.seq);
    expect(ids.has(after.checkpointId)).toBe(true);
  });

  it('S3 refusing writes for a while: not ready, nothing committed meanwhile, committed once S3 takes writes again', async () => {
    const errorsBefore = await metric('ripple_checkpoint_store_errors_total', 'op="put"');
    proxy.refuseWrites = true;
    let latest: CheckpointManifest;
    try {
      await eventually('not ready while S3 refuses writes', 15_000, async () =>
        (await http(proc!, '/ready')).status === 503 ? true : undefined,
      );
      latest = (await manifests()).at(-1)!;
      churnAll(3, 90);
      await sleep(2000);
      expect((await manifests()).at(-1)!.seq, 'committed while S3 refused writes').toBe(latest.seq);
      expect((await http(proc!, '/ready')).status).toBe(503);
      expect(proxy.refused).toBeGreaterThan(0);
      expect(await metric('ripple_checkpoint_store_errors_total', 'op="put"')).toBeGreaterThan(errorsBefore);
    } finally {
      proxy.refuseWrites = false;
    }
    const next = await nextCommit(latest.seq, 30_000);
    for (const p of next.partitions) for (const o of p.chain) expect(await store.head(o.key)).not.toBeNull();
    await eventually('ready again', 15_000, async () =>
      (await http(proc!, '/ready')).status === 200 ? true : undefined,
    );
  });

  it('retention under churn: the newest 3 kept, nothing they reference deleted, older objects removed', async () => {
    let last = (await manifests()).at(-1)!.seq;
    for (let i = 0; i < 6; i++) {
      churnAll(20, 200 + i * 10);
      last = (await nextCommit(last)).seq;
    }
    await eventually('retention converged', 15_000, async () => {
      const ms = await manifests();
      if (ms.length !== 3) return undefined;
      const referenced = new Set(ms.flatMap(referencedKeys));
      for (const k of referenced)
        if ((await store.head(k)) === null) throw new Error(`retained manifest references missing ${k}`);
      const newest = ms.at(-1)!.seq;
      const objects = await store.list(layout.snapshotsPrefix);
      const stale = objects.filter(
        (o) => !referenced.has(o.key) && layout.parseSnapshotKey(o.key)!.seq < newest,
      );
      return stale.length === 0 ? true : undefined;
    });
    expect(await metric('ripple_checkpoint_retained_objects')).toBeGreaterThan(0);
    expect(await metric('ripple_checkpoint_deleted_total', 'what="snapshot"')).toBeGreaterThan(0);
  });

  it('a corrupted snapshot object is detected on lookup and the previous committed checkpoint offered', async () => {
    workers[0]!.churn(0, 10, 500);
    const newest = await nextCommit((await manifests()).at(-1)!.seq);
    workers[0]!.alive = false; // hold the checkpoints still: w0 stops acking
    try {
      const tip = newest.partitions[0]!.chain.at(-1)!;
      const ok = await lookup(0);
      expect(ok.status).toBe('ok');
      expect(ok.snapshot!.chain.map((o) => o.key)).toContain(tip.key);
      expect((await restoreState(store, ok.snapshot!.chain)).size).toBeGreaterThan(0);
      // the newest retained checkpoint whose chain for partition 0 does not hold the object to corrupt
      const fallback = (await manifests())
        .filter((m) => !m.partitions[0]!.chain.some((o) => o.key === tip.key))
        .at(-1);
      expect(fallback, 'an older retained checkpoint without the new object').toBeDefined();
      // corrupt the newest object of partition 0 in place (same size, one byte flipped)
      const bytes = (await store.get(tip.key))!;
      bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x20;
      await store.put(tip.key, bytes);
      const reply = await lookup(0);
      expect(reply.status).toBe('ok');
      expect(reply.checkpointId).toBe(fallback!.checkpointId);
      expect(reply.skipped.map((s) => s.key)).toContain(tip.key);
      expect(reply.skipped[0]!.reason).toMatch(/^crc32c/);
      expect(reply.snapshot!.chain.map((o) => o.key)).not.toContain(tip.key);
      expect(await metric('ripple_checkpoint_corrupt_objects_total')).toBeGreaterThan(0);
    } finally {
      workers[0]!.alive = true;
    }
  });

  it('restarted: rebuilds its state from the manifests in S3, answers lookups, continues the sequence', async () => {
    const before = (await manifests()).at(-1)!;
    expect(await stopProcess(proc!)).toBe(0);
    const lookupWhileDown = await lookup(1).catch((e: unknown) => e);
    expect(lookupWhileDown).toBeInstanceOf(Error);
    proc = await startProcess();
    expect(
      proc.logs.some((l) => l.includes('state rebuilt from the store') && l.includes(before.checkpointId)),
    ).toBe(true);
    const r = await lookup(1);
    expect(r.status).toBe('ok');
    churnAll(4, 900);
    const next = await nextCommit(before.seq);
    expect(next.seq).toBeGreaterThan(before.seq);
    // partition 0's object was corrupted above: a fresh full snapshot supersedes it only if the worker wrote one; the
    // chain of every partition in the new manifest exists
    for (const p of next.partitions) for (const o of p.chain) expect(await store.head(o.key)).not.toBeNull();
  });

  it('the CLI reads the same checkpoints from S3: list, show, verify (names the corrupted object), restore-plan', async () => {
    const cli = (...args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(
          process.execPath,
          [
            '--conditions=@ripple/source',
            join(ROOT, 'apps/cli/src/main.ts'),
            'checkpoints',
            ...args,
            '--prefix',
            prefix,
          ],
          { cwd: ROOT, env: { ...process.env, S3_ENDPOINT: env('S3_ENDPOINT') } },
          (err, stdout) =>
            resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), out: stdout }),
        );
      });
    const first = (await manifests())[0]!.seq;
    const list = await cli('list', '--json');
    expect(list.code).toBe(0);
    const listed = (JSON.parse(list.out) as { checkpoints: Array<{ checkpointId: string; seq: number }> })
      .checkpoints;
    // the checkpointer keeps committing meanwhile: the CLI sees 3 retained checkpoints, none older than the ones listed before
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThanOrEqual(4); // 3 retained + one committed just before its retention pass
    for (const c of listed) expect(c.seq).toBeGreaterThanOrEqual(first);
    const newest = listed.at(-1)!.checkpointId;
    const show = await cli('show', newest);
    // retention may have removed it by now: then show refuses it naming the id
    expect(show.code === 0 ? show.out : `gone ${newest}`).toContain(newest);
    const plan = await cli('restore-plan', '1', '--json');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.out)).toMatchObject({ partition: 1, status: 'ok' });
    const verify = await cli('verify', '--json');
    const v = JSON.parse(verify.out) as {
      ok: boolean;
      checkpoints: Array<{ ok: boolean; bad: Array<{ reason: string }> }>;
    };
    // partition 0's newest object was corrupted above: every retained checkpoint still referencing it fails
    const failed = v.checkpoints.filter((c) => !c.ok);
    expect(verify.code).toBe(failed.length > 0 ? 1 : 0);
    for (const c of failed) expect(c.bad[0]!.reason).toMatch(/^crc32c/);
  });

  it('HA: two replicas, one active through the JetStream KV lease; SIGKILL the active one, the standby takes over', {
    timeout: 90_000,
  }, async () => {
    await stopProcess(proc!);
    proc = null;
    const ha = { RIPPLE_HA: 'lease', RIPPLE_LEASE_TTL_MS: '1500' };
    const a = await startProcess({ ...ha, RIPPLE_INSTANCE_ID: 'ckpt-a' });
    const b = await startProcess({ ...ha, RIPPLE_INSTANCE_ID: 'ckpt-b' });
    const procs = [a, b];
    try {
      const leaderOf = async () => {
        const flags = await Promise.all(procs.map((p) => metric('ripple_checkpoint_leader', '', p)));
        return flags[0]! + flags[1]! === 1 ? procs[flags.indexOf(1)] : undefined;
      };
      const active = await eventually('exactly one active replica', 15_000, leaderOf).catch((e: unknown) => {
        throw new Error(
          `${String(e)}\n${procs.map((p) => p.logs.filter((l) => l.includes('lease') || l.includes('started')).join('\n')).join('\n---\n')}`,
        );
      });
      const standby = active === a ? b : a;
      const before = (await manifests()).at(-1)!;
      churnAll(3, 1200);
      const c1 = await nextCommit(before.seq);
      expect(await metric('ripple_checkpoint_committed_total', '', standby)).toBe(0);
      const killedAt = Date.now();
      active.child.kill('SIGKILL');
      await eventually('the standby takes over', 15_000, async () =>
        (await metric('ripple_checkpoint_leader', '', standby)) === 1 ? true : undefined,
      );
      const takeoverMs = Date.now() - killedAt;
      process.stdout.write(
        `${JSON.stringify({ suite: 'checkpointer-ha', lease_ttl_ms: 1500, takeover_ms: takeoverMs })}\n`,
      );
      churnAll(3, 1300);
      const c2 = await nextCommit(c1.seq);
      expect(c2.seq).toBeGreaterThan(c1.seq);
      expect(await metric('ripple_checkpoint_committed_total', '', standby)).toBeGreaterThan(0);
      expect(takeoverMs).toBeLessThan(1500 + 2 * 150 + 3000);
      for (const p of c2.partitions) for (const o of p.chain) expect(await store.head(o.key)).not.toBeNull();
    } catch (e) {
      throw new Error(
        `${String(e)}\n${procs
          .map((p) =>
            p.logs
              .filter((l) => !l.includes('ack refused'))
              .slice(-12)
              .join('\n'),
          )
          .join('\n---\n')}`,
      );
    } finally {
      for (const p of procs) await stopProcess(p);
    }
  });
});
