// Retention over random commit / abort / owner-change / retention
// sequences (fast-check), on the in-memory store with real manifests.
// Invariants checked after every step:
// - every object a manifest in the store references exists;
// - after a retention pass: at most `keep` manifests, the newest committed
//   one among them, and no unreferenced object of a checkpoint older than
//   the newest committed one is left;
// - a partition owner's current chain never loses an object, so a commit
//   the protocol allows never meets a missing object.
import { MemoryObjectStore } from '@ripple/object-store';
import {
  type CheckpointManifest,
  checkpointLayout,
  crc32c,
  encodeManifest,
  formatCheckpointId,
  type PartitionCheckpoint,
  referencedKeys,
  type SnapshotObjectRef,
} from '@ripple/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestCatalog, planRetention } from '../src/index.ts';

const layout = checkpointLayout('rt/c');
const PARTITIONS = 4;

type Change = 'full' | 'incremental' | 'unchanged';
type Op =
  | { readonly op: 'commit'; readonly changes: readonly Change[] }
  | { readonly op: 'abort'; readonly changes: readonly Change[]; readonly uploaded: number }
  | { readonly op: 'move'; readonly partition: number }
  | { readonly op: 'retain'; readonly keep: number };

const change = fc.constantFrom<Change>('full', 'incremental', 'unchanged');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      changes: fc.array(change, { minLength: PARTITIONS, maxLength: PARTITIONS }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('abort' as const),
      changes: fc.array(change, { minLength: PARTITIONS, maxLength: PARTITIONS }),
      uploaded: fc.integer({ min: 0, max: PARTITIONS }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('move' as const),
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('retain' as const), keep: fc.integer({ min: 1, max: 4 }) }),
  },
);

async function run(ops: readonly Op[]): Promise<void> {
  const store = new MemoryObjectStore();
  const catalog = new ManifestCatalog(store, layout);
  let seq = 0;
  let latest: CheckpointManifest | null = null;
  // each owner's current chain (what its next increment builds on)
  const chains: SnapshotObjectRef[][] = Array.from({ length: PARTITIONS }, () => []);

  const upload = async (p: number, id: string, c: Change): Promise<void> => {
    if (c === 'unchanged' && chains[p]!.length > 0) return;
    const kind = c === 'incremental' && chains[p]!.length > 0 ? 'incremental' : 'full';
    const key = layout.snapshotKey(p, id, kind);
    const bytes = new TextEncoder().encode(`${key}`);
    await store.put(key, bytes);
    const ref: SnapshotObjectRef = { key, bytes: bytes.length, crc32c: crc32c(bytes), kind };
    chains[p] = kind === 'full' ? [ref] : [...chains[p]!, ref];
  };

  const checkManifestsComplete = async () => {
    const view = await catalog.refresh();
    expect(view.corrupt).toEqual([]);
    for (const { manifest } of view.manifests)
      for (const key of referencedKeys(manifest))
        expect(await store.head(key), `${manifest.checkpointId} -> ${key}`).not.toBeNull();
    return view;
  };

  for (const o of ops) {
    if (o.op === 'commit') {
      const id = formatCheckpointId(++seq, 'x');
      for (let p = 0; p < PARTITIONS; p++) await upload(p, id, o.changes[p]!);
      // the protocol's verification: every chain object exists (retention must never have deleted one)
      for (const c of chains)
        for (const ref of c) expect(await store.head(ref.key), `owner chain ${ref.key}`).not.toBeNull();
      const partitions: PartitionCheckpoint[] = chains.map((chain, p) => ({
        partition: p,
        epoch: 1,
        workerId: 'w',
        writtenBy: layout.parseSnapshotKey(chain[chain.length - 1]!.key)!.checkpointId,
        chain,
        offsets: [],
        outputSequence: null,
        schemaFingerprint: null,
      }));
      latest = {
        v: 1,
        cluster: 'c',
        checkpointId: id,
        seq,
        epoch: 1,
        numPartitions: PARTITIONS,
        triggeredAtMs: seq,
        committedAtMs: seq,
        written: { full: 0, incremental: 0 },
        partitions,
      };
      await store.put(layout.manifestKey(id), encodeManifest(latest));
    } else if (o.op === 'abort') {
      const id = formatCheckpointId(++seq, 'x');
      for (let p = 0; p < o.uploaded; p++) await upload(p, id, o.changes[p]!);
    } else if (o.op === 'move') {
      // a new owner restores the latest committed chain; the old owner's uncommitted objects become orphans
      if (latest !== null) chains[o.partition] = [...latest.partitions[o.partition]!.chain];
    } else {
      const view = await catalog.refresh();
      const objects = await store.list(layout.snapshotsPrefix);
      const plan = planRetention({
        layout,
        keep: o.keep,
        manifests: view.manifests,
        corruptManifests: [],
        objects,
      });
      await store.delete(plan.deleteManifests);
      await store.delete(plan.deleteObjects);
      const after = await checkManifestsComplete();
      expect(after.manifests.length).toBeLessThanOrEqual(o.keep);
      if (latest !== null)
        expect(after.manifests[after.manifests.length - 1]!.manifest.checkpointId).toBe(latest.checkpointId);
      const referenced = new Set(after.manifests.flatMap((m) => referencedKeys(m.manifest)));
      const newest = latest?.seq ?? 0;
      for (const x of await store.list(layout.snapshotsPrefix)) {
        const parts = layout.parseSnapshotKey(x.key)!;
        if (!referenced.has(x.key))
          expect(parts.seq, `orphan ${x.key} left behind`).toBeGreaterThanOrEqual(newest);
      }
      expect(plan.retainedObjects).toBe((await store.list(layout.snapshotsPrefix)).length);
    }
    await checkManifestsComplete();
  }
}

describe('retention (property)', () => {
  it('never deletes what a retained manifest or an owner chain references; keeps N; clears orphans', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => run(ops)),
      { numRuns: Number(process.env.RETENTION_RUNS ?? 150) },
    );
  });

  it('counts and leaves alone objects outside the layout; drops corrupt manifests older than the retained', () => {
    const plan = planRetention({
      layout,
      keep: 1,
      manifests: [],
      corruptManifests: [layout.manifestKey(formatCheckpointId(3, 'a'))],
      objects: [{ key: 'rt/c/snapshots/p0/notes.txt', size: 5 }],
    });
    expect(plan.foreignObjects).toBe(1);
    expect(plan.deleteObjects).toEqual([]);
    expect(plan.deleteManifests).toEqual([layout.manifestKey(formatCheckpointId(3, 'a'))]);
    expect(() =>
      planRetention({ layout, keep: 0, manifests: [], corruptManifests: [], objects: [] }),
    ).toThrow(RangeError);
  });
});
