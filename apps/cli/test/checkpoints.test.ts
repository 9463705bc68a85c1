// `ripple checkpoints` against a local-directory store holding real
// manifests and snapshot objects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DirObjectStore } from '@ripple/object-store';
import {
  type CheckpointManifest,
  checkpointLayout,
  crc32c,
  encodeManifest,
  formatCheckpointId,
  type SnapshotObjectRef,
} from '@ripple/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpointsArgs, runCheckpoints, UsageError } from '../src/index.ts';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ripple-cli-ckpt-'));
const layout = checkpointLayout('checkpoints/demo');
const store = new DirObjectStore(dir);
const ids = [1, 2].map((s) => formatCheckpointId(s, 'cli'));
let inc: SnapshotObjectRef;

async function object(key: string, text: string, kind: 'full' | 'incremental'): Promise<SnapshotObjectRef> {
  const bytes = new TextEncoder().encode(text);
  await store.put(key, bytes);
  return { key, bytes: bytes.length, crc32c: crc32c(bytes), kind };
}

function manifest(seq: number, chains: SnapshotObjectRef[][]): CheckpointManifest {
  const id = ids[seq - 1]!;
  return {
    v: 1,
    cluster: 'demo',
    checkpointId: id,
    seq,
    epoch: 1,
    numPartitions: 2,
    triggeredAtMs: 1_700_000_000_000 + seq * 10_000,
    committedAtMs: 1_700_000_000_120 + seq * 10_000,
    written: { full: seq === 1 ? 20 : 0, incremental: seq === 1 ? 0 : 7 },
    partitions: chains.map((chain, p) => ({
      partition: p,
      epoch: 1,
      workerId: `w${p}`,
      writtenBy: layout.parseSnapshotKey(chain.at(-1)!.key)!.checkpointId,
      chain,
      offsets: [{ topic: 'trades', partition: p, offset: BigInt(100 * seq + p) }],
      outputSequence: BigInt(seq),
      schemaFingerprint: '00000000000000aa',
    })),
  };
}

beforeAll(async () => {
  const f0 = await object(layout.snapshotKey(0, ids[0]!, 'full'), 'full-0----', 'full');
  const f1 = await object(layout.snapshotKey(1, ids[0]!, 'full'), 'full-1----', 'full');
  inc = await object(layout.snapshotKey(0, ids[1]!, 'incremental'), 'inc-0-2', 'incremental');
  await store.put(layout.manifestKey(ids[0]!), encodeManifest(manifest(1, [[f0], [f1]])));
  await store.put(layout.manifestKey(ids[1]!), encodeManifest(manifest(2, [[f0, inc], [f1]])));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const o = parseCheckpointsArgs([...args, '--store', 'dir', '--dir', dir, '--cluster', 'demo'], {});
  if (o === null) throw new Error('help');
  const stdout = new Collect();
  const code = await runCheckpoints(o, { stdout, env: {} });
  return { code, out: stdout.text };
}

describe('ripple checkpoints', () => {
  it('list: a table for a person, JSON for a script', async () => {
    const human = await run('list');
    expect(human.code).toBe(0);
    expect(human.out.split('\n')[0]).toMatch(
      /^CHECKPOINT\s+SEQ\s+EPOCH\s+COMMITTED \(UTC\)\s+PARTITIONS\s+FULL BYTES\s+INCR BYTES$/,
    );
    expect(human.out).toContain(`${ids[1]}  2    1      2023-11-14T22:13:40.120Z  2           0           7`);
    const j = JSON.parse((await run('list', '--json')).out);
    expect(j.checkpoints.map((c: { checkpointId: string }) => c.checkpointId)).toEqual(ids);
    expect(j.checkpoints[1]).toMatchObject({
      seq: 2,
      epoch: 1,
      durationMs: 120,
      partitions: 2,
      written: { full: 0, incremental: 7 },
    });
  });

  it('show ID: partitions, chains and offsets; an unknown id is a usage error', async () => {
    const { out } = await run('show', ids[1]!);
    expect(out).toContain(`checkpoint ${ids[1]}  seq 2  epoch 1  cluster demo`);
    expect(out).toMatch(new RegExp(`0\\s+1\\s+w0\\s+${ids[1]}\\s+Fi\\s+17\\s+trades/0@200`));
    expect(out).toMatch(new RegExp(`1\\s+1\\s+w1\\s+${ids[0]}\\s+F\\s+10\\s+trades/1@201`));
    const j = JSON.parse((await run('show', ids[1]!, '--json')).out);
    expect(j.partitions[0].offsets[0].offset).toBe('200');
    await expect(run('show', 'ck-000000000009-x')).rejects.toBeInstanceOf(UsageError);
  });

  it('verify and restore-plan: a corrupt object fails verify (exit 1) and restore-plan falls back', async () => {
    expect(await run('verify')).toMatchObject({ code: 0 });
    expect((await run('restore-plan', '0')).out).toContain(`partition 0: restore from checkpoint ${ids[1]}`);
    await store.put(inc.key, new TextEncoder().encode('inc-0-X'));
    const v = await run('verify');
    expect(v.code).toBe(1);
    expect(v.out).toContain(`OK   ${ids[0]}  2 objects`);
    expect(v.out).toContain(`BAD  ${ids[1]}  3 objects`);
    expect(v.out).toMatch(/partition 0: .*\.incr\.snap: crc32c [0-9a-f]{8} != [0-9a-f]{8}/);
    expect(JSON.parse((await run('verify', ids[0]!, '--json')).out)).toMatchObject({ ok: true });
    const plan = await run('restore-plan', '0');
    expect(plan.code).toBe(0);
    expect(plan.out).toContain(`skipped ${ids[1]}: ${inc.key}: crc32c`);
    expect(plan.out).toContain(`partition 0: restore from checkpoint ${ids[0]}`);
    expect(plan.out).toContain('then replay input from: trades/0@100');
    const j = JSON.parse((await run('restore-plan', '0', '--json')).out);
    expect(j).toMatchObject({ partition: 0, status: 'ok', checkpointId: ids[0] });
    expect((await run('restore-plan', '5')).code).toBe(1);
  });

  it('refuses bad arguments naming them', () => {
    const bad = (...a: string[]) => {
      try {
        parseCheckpointsArgs(a, {});
        return 'ok';
      } catch (e) {
        return (e as UsageError).option;
      }
    };
    expect(bad('frobnicate')).toBe('command');
    expect(bad('show')).toBe('command');
    expect(bad('restore-plan', 'x')).toBe('PARTITION');
    expect(bad('list', '--store', 'ftp')).toBe('--store');
    expect(bad('list', '--store', 'dir')).toBe('--dir');
    expect(bad('list', '--cluster', 'a.b')).toBe('--cluster');
    expect(bad('list', '--bogus')).toBe('--bogus');
    expect(parseCheckpointsArgs(['--help'], {})).toBeNull();
    expect(parseCheckpointsArgs(['list'], { RIPPLE_CLUSTER: 'c9' })!.prefix).toBe('checkpoints/c9');
  });
});
