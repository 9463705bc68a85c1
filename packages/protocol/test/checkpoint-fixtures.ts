// Shared fixtures of the checkpoint format tests.
import {
  type CheckpointManifest,
  checkpointLayout,
  formatCheckpointId,
  type PartitionCheckpoint,
} from '../src/index.ts';

export const layout = checkpointLayout('checkpoints/c1');
export const ck7 = formatCheckpointId(7, 'a1b2c3');
export const ck6 = formatCheckpointId(6, 'zz9');

const offsets = [{ topic: 'trades', partition: 0, offset: 1_234_567_890_123n }];

export const p0: PartitionCheckpoint = {
  partition: 0,
  epoch: 3,
  workerId: 'worker-0',
  writtenBy: ck7,
  chain: [
    { key: layout.snapshotKey(0, ck6, 'full'), bytes: 81_920, crc32c: 0xe3069283, kind: 'full' },
    { key: layout.snapshotKey(0, ck7, 'incremental'), bytes: 812, crc32c: 0x0000002a, kind: 'incremental' },
  ],
  offsets,
  outputSequence: 9_007_199_254_740_993n,
  schemaFingerprint: '0123456789abcdef',
};

export const p2: PartitionCheckpoint = {
  partition: 2,
  epoch: 2,
  workerId: 'worker-1',
  writtenBy: ck6,
  chain: [{ key: layout.snapshotKey(2, ck6, 'full'), bytes: 0, crc32c: 0, kind: 'full' }],
  offsets: [],
  outputSequence: null,
  schemaFingerprint: null,
};

export const manifest: CheckpointManifest = {
  v: 1,
  cluster: 'c1',
  checkpointId: ck7,
  seq: 7,
  epoch: 3,
  numPartitions: 4,
  triggeredAtMs: 1_700_000_000_000,
  committedAtMs: 1_700_000_000_250,
  written: { full: 0, incremental: 812 },
  partitions: [p0, p2],
};
