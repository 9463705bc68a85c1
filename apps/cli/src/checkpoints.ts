/**
 * `ripple checkpoints list | show ID | verify [ID] | restore-plan PARTITION`:
 * the committed checkpoints in a bucket (or a local directory), for a
 * person (tables) or a script (`--json`, one JSON document on stdout).
 * Read-only: it never writes or deletes. `verify` reads every object a
 * checkpoint references and checks its size and CRC-32C (exit status 1 when
 * one fails); `restore-plan` gives what a restoring worker is offered.
 */
import { findRestorePlan, ManifestCatalog, verifyObject } from '@ripple/checkpoint-store';
import { DirObjectStore, type ObjectStore, ObjectStoreError, S3ObjectStore } from '@ripple/object-store';
import { type CheckpointManifest, checkpointLayout } from '@ripple/protocol';
import { InputError, UsageError } from './errors.ts';
import { flag, parse, str } from './parse.ts';

export const CHECKPOINTS_HELP = `ripple checkpoints: inspect committed checkpoints (read-only).

Usage:
  pnpm ripple checkpoints list                     committed checkpoints, oldest first
  pnpm ripple checkpoints show ID                  one manifest: partitions, chains, offsets
  pnpm ripple checkpoints verify [ID]              read every referenced object, check size + CRC-32C
                                                   (all retained checkpoints without ID); exit 1 on a failure
  pnpm ripple checkpoints restore-plan PARTITION   the newest verified chain a restoring worker gets

Options (--opt VALUE or --opt=VALUE):
  --json              one JSON document on stdout instead of tables
  --cluster NAME      cluster name (default: $RIPPLE_CLUSTER or ripple)
  --prefix PREFIX     key prefix (default: $RIPPLE_S3_PREFIX or checkpoints/<cluster>)
  --store s3|dir      where the checkpoints are (default s3)
  --dir PATH          the directory for --store dir
  S3 from the environment: S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
`;

export type CheckpointsCommand =
  | { readonly kind: 'list' }
  | { readonly kind: 'show'; readonly id: string }
  | { readonly kind: 'verify'; readonly id: string | null }
  | { readonly kind: 'restore-plan'; readonly partition: number };

export interface CheckpointsOptions {
  readonly command: CheckpointsCommand;
  readonly json: boolean;
  readonly prefix: string;
  readonly store: { readonly kind: 's3' } | { readonly kind: 'dir'; readonly path: string };
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses the arguments after `checkpoints`; null means help was asked for. */
export function parseCheckpointsArgs(
  args: readonly string[],
  env: Env = process.env,
): CheckpointsOptions | null {
  const p = parse(
    args,
    {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      cluster: { type: 'string' },
      prefix: { type: 'string' },
      store: { type: 'string' },
      dir: { type: 'string' },
    },
    true,
  );
  if (flag(p, 'help')) return null;
  const positional = p.positionals;
  const json = flag(p, 'json');
  const cluster = str(p, 'cluster') ?? (env.RIPPLE_CLUSTER || 'ripple');
  const prefix: string | null = str(p, 'prefix') ?? (env.RIPPLE_S3_PREFIX || null);
  const storeKind = str(p, 'store') ?? 's3';
  const dir: string | null = str(p, 'dir') ?? null;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cluster))
    throw new UsageError(`--cluster ${JSON.stringify(cluster)} is not [A-Za-z0-9_-]{1,64}`, '--cluster');
  const [sub, arg, extra] = positional;
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, null);
  let command: CheckpointsCommand;
  if (sub === 'list' && arg === undefined) command = { kind: 'list' };
  else if (sub === 'show' && arg !== undefined) command = { kind: 'show', id: arg };
  else if (sub === 'verify') command = { kind: 'verify', id: arg ?? null };
  else if (sub === 'restore-plan' && arg !== undefined) {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(arg))
      throw new UsageError(`PARTITION ${JSON.stringify(arg)} is not a partition number`, 'PARTITION');
    command = { kind: 'restore-plan', partition: Number(arg) };
  } else throw new UsageError(`expected list | show ID | verify [ID] | restore-plan PARTITION`, 'command');
  let store: CheckpointsOptions['store'];
  if (storeKind === 'dir') {
    if (dir === null) throw new UsageError('--store dir needs --dir PATH', '--dir');
    store = { kind: 'dir', path: dir };
  } else if (storeKind === 's3') store = { kind: 's3' };
  else throw new UsageError(`--store ${JSON.stringify(storeKind)} is not s3 or dir`, '--store');
  return { command, json, prefix: prefix ?? `checkpoints/${cluster}`, store };
}

export interface CheckpointsIo {
  readonly stdout: NodeJS.WritableStream;
  readonly env: Env;
}

function openStore(o: CheckpointsOptions, env: Env): ObjectStore {
  if (o.store.kind === 'dir') return new DirObjectStore(o.store.path);
  const bucket = env.S3_BUCKET;
  if (!bucket) throw new UsageError('S3_BUCKET is not set (or use --store dir --dir PATH)', 'S3_BUCKET');
  return new S3ObjectStore({
    endpoint: env.S3_ENDPOINT || null,
    region: env.S3_REGION || 'us-east-1',
    bucket,
    accessKeyId: env.S3_ACCESS_KEY_ID || null,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY || null,
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]!))).join('  ')).join('\n')}\n`;
}

function json(x: unknown): string {
  return `${JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

function chainText(m: CheckpointManifest['partitions'][number]): string {
  return m.chain.map((o) => (o.kind === 'full' ? 'F' : 'i')).join('');
}

/** Runs the command; returns the exit status (0, or 1 when verify found a bad object or restore-plan found none). */
export async function runCheckpoints(o: CheckpointsOptions, io: CheckpointsIo): Promise<number> {
  const store = openStore(o, io.env);
  const layout = checkpointLayout(o.prefix);
  const out = (s: string) => io.stdout.write(s);
  try {
    const view = await new ManifestCatalog(store, layout).refresh();
    const manifests = view.manifests.map((m) => m.manifest);
    const find = (id: string) => {
      const m = manifests.find((x) => x.checkpointId === id);
      if (m === undefined)
        throw new UsageError(`no committed checkpoint ${id} under ${layout.manifestsPrefix}`, 'ID');
      return m;
    };
    const c = o.command;
    switch (c.kind) {
      case 'list': {
        if (o.json) {
          out(
            json({
              prefix: layout.prefix,
              checkpoints: manifests.map((m) => ({
                checkpointId: m.checkpointId,
                seq: m.seq,
                epoch: m.epoch,
                committedAt: iso(m.committedAtMs),
                durationMs: m.committedAtMs - m.triggeredAtMs,
                partitions: m.partitions.length,
                written: m.written,
              })),
              corrupt: view.corrupt.map((x) => ({ key: x.key, error: x.error.message })),
            }),
          );
          return 0;
        }
        const rows = [
          ['CHECKPOINT', 'SEQ', 'EPOCH', 'COMMITTED (UTC)', 'PARTITIONS', 'FULL BYTES', 'INCR BYTES'],
        ];
        for (const m of manifests)
          rows.push([
            m.checkpointId,
            String(m.seq),
            String(m.epoch),
            iso(m.committedAtMs),
            String(m.partitions.length),
            String(m.written.full),
            String(m.written.incremental),
          ]);
        out(
          manifests.length === 0 ? `no committed checkpoints under ${layout.manifestsPrefix}\n` : table(rows),
        );
        for (const x of view.corrupt) out(`corrupt manifest (never used): ${x.key}: ${x.error.message}\n`);
        return 0;
      }
      case 'show': {
        const m = find(c.id);
        if (o.json) {
          out(json(m));
          return 0;
        }
        out(
          `checkpoint ${m.checkpointId}  seq ${m.seq}  epoch ${m.epoch}  cluster ${m.cluster}\n` +
            `triggered ${iso(m.triggeredAtMs)}  committed ${iso(m.committedAtMs)}  written full ${m.written.full} B, incremental ${m.written.incremental} B\n\n`,
        );
        const rows = [['PARTITION', 'EPOCH', 'WORKER', 'WRITTEN BY', 'CHAIN', 'BYTES', 'OFFSETS']];
        for (const p of m.partitions)
          rows.push([
            String(p.partition),
            String(p.epoch),
            p.workerId,
            p.writtenBy,
            chainText(p),
            String(p.chain.reduce((s, x) => s + x.bytes, 0)),
            p.offsets.map((x) => `${x.topic}/${x.partition}@${x.offset}`).join(' ') || '-',
          ]);
        out(table(rows));
        out('CHAIN: F = full snapshot, i = increment, in restore order\n');
        return 0;
      }
      case 'verify': {
        const targets = c.id === null ? manifests : [find(c.id)];
        const seen = new Map<string, string | null>();
        const results = [];
        for (const m of targets) {
          const bad: Array<{ partition: number; key: string; reason: string }> = [];
          let objects = 0;
          for (const p of m.partitions)
            for (const x of p.chain) {
              objects++;
              if (!seen.has(x.key)) seen.set(x.key, await verifyObject(store, x));
              const reason = seen.get(x.key)!;
              if (reason !== null) bad.push({ partition: p.partition, key: x.key, reason });
            }
          results.push({ checkpointId: m.checkpointId, ok: bad.length === 0, objects, bad });
        }
        const ok = results.every((r) => r.ok) && (c.id !== null || view.corrupt.length === 0);
        if (o.json) out(json({ ok, checkpoints: results, corruptManifests: view.corrupt.map((x) => x.key) }));
        else {
          for (const r of results) {
            out(`${r.ok ? 'OK  ' : 'BAD '} ${r.checkpointId}  ${r.objects} objects\n`);
            for (const b of r.bad) out(`     partition ${b.partition}: ${b.key}: ${b.reason}\n`);
          }
          for (const x of view.corrupt) out(`BAD  manifest ${x.key}: ${x.error.message}\n`);
          if (results.length === 0) out(`no committed checkpoints under ${layout.manifestsPrefix}\n`);
        }
        return ok ? 0 : 1;
      }
      case 'restore-plan': {
        const r = await findRestorePlan(store, manifests, c.partition);
        if (o.json) {
          out(json({ partition: c.partition, ...r }));
          return r.status === 'ok' ? 0 : 1;
        }
        for (const s of r.skipped) out(`skipped ${s.checkpointId}: ${s.key}: ${s.reason}\n`);
        if (r.status !== 'ok') {
          out(
            `partition ${c.partition}: ${r.status === 'none' ? 'no committed checkpoint holds a verified chain' : 'store unavailable'}\n`,
          );
          return 1;
        }
        const p = r.snapshot;
        out(
          `partition ${c.partition}: restore from checkpoint ${r.checkpointId} (written by ${p.writtenBy}, epoch ${p.epoch}, worker ${p.workerId})\n` +
            `schema ${p.schemaFingerprint ?? '-'}  next output sequence ${p.outputSequence ?? '-'}\n`,
        );
        const rows = [['STEP', 'KIND', 'BYTES', 'CRC32C', 'KEY']];
        for (const [i, x] of p.chain.entries())
          rows.push([String(i + 1), x.kind, String(x.bytes), x.crc32c.toString(16).padStart(8, '0'), x.key]);
        out(table(rows));
        out(
          `then replay input from: ${p.offsets.map((x) => `${x.topic}/${x.partition}@${x.offset}`).join(' ') || '(no offsets)'}\n`,
        );
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof ObjectStoreError) throw new InputError(`${store.name} store (${layout.prefix})`, e);
    throw e;
  } finally {
    store.close();
  }
}
