import { MemoryObjectStore } from '@ripple/object-store';
import {
  type CheckpointManifest,
  checkpointLayout,
  crc32c,
  encodeManifest,
  formatCheckpointId,
  type SnapshotObjectRef,
} from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import { findRestorePlan, ManifestCatalog, verifyObject } from '../src/index.ts';

const layout = checkpointLayout('rs/c');

async function put(
  store: MemoryObjectStore,
  key: string,
  text: string,
  kind: 'full' | 'incremental' = 'full',
) {
  const bytes = new TextEncoder().encode(text);
  await store.put(key, bytes);
  return { key, bytes: bytes.length, crc32c: crc32c(bytes), kind } satisfies SnapshotObjectRef;
}

function manifest(seq: number, chains: Record<number, SnapshotObjectRef[]>): CheckpointManifest {
  const id = formatCheckpointId(seq, 'r');
  return {
    v: 1,
    cluster: 'c',
    checkpointId: id,
    seq,
    epoch: 1,
    numPartitions: 4,
    triggeredAtMs: 0,
    committedAtMs: 1,
    written: { full: 0, incremental: 0 },
    partitions: Object.entries(chains).map(([p, chain]) => ({
      partition: Number(p),
      epoch: 1,
      workerId: 'w',
      writtenBy: id,
      chain,
      offsets: [],
      outputSequence: null,
      schemaFingerprint: null,
    })),
  };
}

describe('restore lookup', () => {
  it('offers the newest verified chain; a corrupt or missing object falls back to the previous checkpoint', async () => {
    const store = new MemoryObjectStore();
    const a1 = await put(store, layout.snapshotKey(0, formatCheckpointId(1, 'r'), 'full'), 'base-1');
    const a2 = await put(
      store,
      layout.snapshotKey(0, formatCheckpointId(2, 'r'), 'incremental'),
      'inc-2',
      'incremental',
    );
    const b2 = await put(store, layout.snapshotKey(1, formatCheckpointId(2, 'r'), 'full'), 'base-b');
    const m1 = manifest(1, { 0: [a1] });
    const m2 = manifest(2, { 0: [a1, a2], 1: [b2] });
    for (const m of [m1, m2]) await store.put(layout.manifestKey(m.checkpointId), encodeManifest(m));
    const view = await new ManifestCatalog(store, layout).refresh();
    const manifests = view.manifests.map((x) => x.manifest);

    expect(await findRestorePlan(store, manifests, 0)).toMatchObject({
      status: 'ok',
      checkpointId: m2.checkpointId,
      skipped: [],
    });
    expect(await findRestorePlan(store, manifests, 3)).toEqual({ status: 'none', skipped: [] });

    // flip a byte of the increment: same size, CRC differs
    await store.put(a2.key, new TextEncoder().encode('inc-3'));
    expect(await verifyObject(store, a2)).toMatch(/^crc32c [0-9a-f]{8} != [0-9a-f]{8}$/);
    const seen: string[] = [];
    const r = await findRestorePlan(store, manifests, 0, (s) => seen.push(s.key));
    expect(r).toMatchObject({ status: 'ok', checkpointId: m1.checkpointId });
    expect(r.skipped).toEqual([
      { checkpointId: m2.checkpointId, key: a2.key, reason: expect.stringMatching(/^crc32c/) },
    ]);
    expect(seen).toEqual([a2.key]);

    // truncated base: every checkpoint using it is skipped
    await store.put(a1.key, new TextEncoder().encode('base'));
    const none = await findRestorePlan(store, manifests, 0);
    expect(none.status).toBe('none');
    expect(none.skipped.map((s) => s.reason)).toEqual(['size 4 != 6', 'size 4 != 6']);

    await store.delete([b2.key]);
    expect((await findRestorePlan(store, manifests, 1)).skipped[0]!.reason).toBe('missing');
  });

  it('reports a manifest that does not decode and never uses it', async () => {
    const store = new MemoryObjectStore();
    const a = await put(store, layout.snapshotKey(0, formatCheckpointId(1, 'r'), 'full'), 'x');
    const m = manifest(1, { 0: [a] });
    const bytes = encodeManifest(m);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1;
    await store.put(layout.manifestKey(m.checkpointId), bytes);
    const view = await new ManifestCatalog(store, layout).refresh();
    expect(view.manifests).toEqual([]);
    expect(view.corrupt.map((c) => [c.key, (c.error as { code?: string }).code])).toEqual([
      [layout.manifestKey(m.checkpointId), 'CKPT_CRC_MISMATCH'],
    ]);
    expect(view.highestSeq).toBe(1);
  });
});
