// WorkerPartitionHost's assign: the previous owner's hand-over becomes the
// expectation the restored state is held to — except in cluster checkpoint
// mode, where restores go through committed manifests only (behind any
// hand-over) and the new owner replays from there.
import type { HandedOffPartition } from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import { WorkerPartitionHost } from '../src/cluster-host.ts';
import type { HandoffExpectation, Worker } from '../src/worker.ts';

function fakeWorker() {
  const calls: Array<{
    partitions: readonly number[];
    epoch: number;
    expected: Map<number, HandoffExpectation>;
  }> = [];
  const owned = new Set<number>();
  const worker = {
    processedRecords: 0,
    assign: async (
      partitions: readonly number[],
      epoch: number,
      expected?: ReadonlyMap<number, HandoffExpectation>,
    ) => {
      calls.push({ partitions, epoch, expected: new Map(expected ?? []) });
      for (const p of partitions) owned.add(p);
    },
    owned: () => [...owned],
  } as unknown as Worker;
  return { worker, calls };
}

const starts: HandedOffPartition[] = [
  {
    partition: 3,
    snapshotKey: 'snap-3',
    offsets: [{ topic: 'trades', partition: 3, offset: 120n }],
    outputSequence: 7n,
  },
  { partition: 5, snapshotKey: null, offsets: [] },
];

describe('WorkerPartitionHost.assign', () => {
  it('holds the restore to the previous owner’s hand-over by default', async () => {
    const { worker, calls } = fakeWorker();
    await new WorkerPartitionHost({ worker, inputTopic: 'trades' }).assign(starts, 4);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.partitions).toEqual([3, 5]);
    expect(calls[0]?.epoch).toBe(4);
    expect([...(calls[0]?.expected ?? [])]).toEqual([
      [3, { nextOffset: 120n, nextSequence: 7, snapshotId: 'snap-3' }],
    ]);
  });

  it('sets no hand-over expectation when restores go through committed checkpoints only', async () => {
    const { worker, calls } = fakeWorker();
    await new WorkerPartitionHost({ worker, inputTopic: 'trades', handoffExpectations: false }).assign(
      starts,
      4,
    );
    expect(calls[0]?.partitions).toEqual([3, 5]);
    expect(calls[0]?.expected.size).toBe(0);
  });
});
