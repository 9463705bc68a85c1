import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CheckpointFormatError,
  crc32c,
  decodeManifest,
  encodeManifest,
  formatCheckpointId,
  parseCheckpointId,
  referencedKeys,
} from '../src/index.ts';
import { ck6, ck7, layout, manifest, p0 } from './checkpoint-fixtures.ts';

const utf8 = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return (e as CheckpointFormatError).code ?? `untyped ${String(e)}`;
  }
}

/** A manifest object whose body is `body` with a correct header. */
function withBody(body: string): Uint8Array {
  const b = utf8.encode(body);
  const crc = crc32c(b).toString(16).padStart(8, '0');
  return utf8.encode(`RIPPLE-CHECKPOINT-MANIFEST/1 length=${b.length} crc32c=${crc}\n${body}`);
}

describe('manifest codec', () => {
  it('pins the bytes (golden): a change is a version bump', () => {
    const file = new URL('./golden/manifest.txt', import.meta.url);
    const bytes = encodeManifest(manifest);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, bytes);
    expect(text(bytes)).toBe(readFileSync(file, 'utf8'));
    expect(text(bytes).split('\n')[0]).toMatch(
      /^RIPPLE-CHECKPOINT-MANIFEST\/1 length=\d+ crc32c=[0-9a-f]{8}$/,
    );
  });

  it('round-trips, int64 values exactly', () => {
    const back = decodeManifest(encodeManifest(manifest));
    expect(back).toEqual(manifest);
    expect(back.partitions[0]!.outputSequence).toBe(9_007_199_254_740_993n);
    expect(back.partitions[0]!.offsets[0]!.offset).toBe(1_234_567_890_123n);
  });

  it('lists every referenced key', () => {
    expect(referencedKeys(manifest)).toEqual([
      'checkpoints/c1/snapshots/p0/ck-000000000006-zz9.full.snap',
      'checkpoints/c1/snapshots/p0/ck-000000000007-a1b2c3.incr.snap',
      'checkpoints/c1/snapshots/p2/ck-000000000006-zz9.full.snap',
    ]);
  });

  it('refuses damaged objects with the typed error of each failure mode', () => {
    const good = encodeManifest(manifest);
    const nl = good.indexOf(0x0a);
    const flipped = good.slice();
    flipped[nl + 10] = flipped[nl + 10]! ^ 0x04;
    expect(codeOf(() => decodeManifest(flipped))).toBe('CKPT_CRC_MISMATCH');
    expect(codeOf(() => decodeManifest(good.subarray(0, good.length - 1)))).toBe('CKPT_BAD_LENGTH');
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(codeOf(() => decodeManifest(longer))).toBe('CKPT_BAD_LENGTH');
    expect(codeOf(() => decodeManifest(utf8.encode('{"v":1}')))).toBe('CKPT_BAD_HEADER');
    expect(codeOf(() => decodeManifest(utf8.encode('RIPPLE-CHECKPOINT-MANIFEST/1 length=x\n')))).toBe(
      'CKPT_BAD_HEADER',
    );
    expect(
      codeOf(() => decodeManifest(utf8.encode('RIPPLE-CHECKPOINT-MANIFEST/2 length=0 crc32c=00000000\n'))),
    ).toBe('CKPT_UNSUPPORTED_VERSION');
    expect(codeOf(() => decodeManifest(new Uint8Array(0)))).toBe('CKPT_BAD_HEADER');
    // the header is canonical: a version with a leading zero is not version 1 (found by the fuzz test)
    const padded = utf8.encode(text(good).replace('MANIFEST/1 ', 'MANIFEST/01 '));
    expect(codeOf(() => decodeManifest(padded))).toBe('CKPT_UNSUPPORTED_VERSION');
    expect(codeOf(() => decodeManifest(good, { maxBytes: 10 }))).toBe('CKPT_TOO_LARGE');
    expect(codeOf(() => decodeManifest(withBody('[1,2')))).toBe('CKPT_MALFORMED');
    expect(codeOf(() => decodeManifest(withBody('[]')))).toBe('CKPT_INVALID_FIELD');
  });

  it('refuses bodies that break an invariant, naming the field', () => {
    const bad = (patch: (m: Record<string, unknown>) => void): string => {
      const raw = JSON.parse(text(encodeManifest(manifest)).split('\n')[1]!) as Record<string, unknown>;
      patch(raw);
      try {
        decodeManifest(withBody(JSON.stringify(raw)));
        return 'accepted';
      } catch (e) {
        const err = e as CheckpointFormatError & { field?: string };
        return `${err.code}${err.field === undefined ? '' : ` ${err.field}`}`;
      }
    };
    type Parts = Array<Record<string, unknown>>;
    const parts = (m: Record<string, unknown>) => m.partitions as Parts;
    expect(bad(() => {})).toBe('accepted');
    expect(bad((m) => (m.seq = 8))).toBe('CKPT_INVALID_FIELD seq');
    expect(bad((m) => (m.checkpointId = 'ckpt-7'))).toBe('CKPT_INVALID_FIELD checkpointId');
    expect(bad((m) => (m.v = 2))).toBe('CKPT_INVALID_FIELD v');
    expect(bad((m) => (m.committedAtMs = 1))).toBe('CKPT_INVALID_FIELD committedAtMs');
    expect(bad((m) => (m.numPartitions = 2))).toBe('CKPT_INVALID_FIELD partitions[1].partition');
    expect(bad((m) => parts(m).reverse())).toBe('CKPT_INVALID_FIELD partitions[1].partition');
    expect(bad((m) => (parts(m)[0]!.epoch = 4))).toBe('CKPT_INVALID_FIELD partitions[0].epoch');
    expect(bad((m) => (parts(m)[0]!.writtenBy = formatCheckpointId(8, 'x')))).toBe(
      'CKPT_INVALID_FIELD partitions[0].writtenBy',
    );
    expect(bad((m) => (parts(m)[0]!.outputSequence = 12))).toBe(
      'CKPT_INVALID_FIELD partitions[0].outputSequence',
    );
    expect(bad((m) => (parts(m)[0]!.outputSequence = '9223372036854775808'))).toBe(
      'CKPT_INVALID_FIELD partitions[0].outputSequence',
    );
    expect(bad((m) => (parts(m)[0]!.schemaFingerprint = 'ABCDEF0123456789'))).toBe(
      'CKPT_INVALID_FIELD partitions[0].schemaFingerprint',
    );
    expect(bad((m) => ((parts(m)[0]!.chain as Parts)[0]!.key = '../x'))).toBe(
      'CKPT_INVALID_FIELD partitions[0].chain[0].key',
    );
    expect(bad((m) => ((parts(m)[0]!.chain as Parts)[0]!.crc32c = 2 ** 32))).toBe(
      'CKPT_INVALID_FIELD partitions[0].chain[0].crc32c',
    );
    expect(bad((m) => (parts(m)[0]!.chain as Parts).reverse())).toBe('CKPT_BAD_CHAIN');
    expect(bad((m) => (parts(m)[0]!.chain = []))).toBe('CKPT_BAD_CHAIN');
  });

  it('encode refuses what decode would refuse', () => {
    expect(codeOf(() => encodeManifest({ ...manifest, seq: 6 }))).toBe('CKPT_INVALID_FIELD');
    expect(codeOf(() => encodeManifest({ ...manifest, partitions: [{ ...p0, chain: [] }] }))).toBe(
      'CKPT_BAD_CHAIN',
    );
  });
});

describe('checkpoint ids and object layout', () => {
  it('ids sort by sequence and parse back', () => {
    expect(ck7).toBe('ck-000000000007-a1b2c3');
    expect(parseCheckpointId(ck7)).toEqual({ seq: 7, nonce: 'a1b2c3' });
    expect([formatCheckpointId(10, 'a'), ck7, ck6].sort()).toEqual([ck6, ck7, formatCheckpointId(10, 'a')]);
    expect(parseCheckpointId('ck-7-a')).toBeUndefined();
    expect(() => formatCheckpointId(-1, 'a')).toThrow(RangeError);
    expect(() => formatCheckpointId(1, 'A*')).toThrow(RangeError);
  });

  it('snapshot and manifest keys parse back; foreign keys do not', () => {
    const k = layout.snapshotKey(12, ck7, 'incremental');
    expect(k).toBe('checkpoints/c1/snapshots/p12/ck-000000000007-a1b2c3.incr.snap');
    expect(layout.parseSnapshotKey(k)).toEqual({
      partition: 12,
      checkpointId: ck7,
      seq: 7,
      kind: 'incremental',
    });
    expect(layout.parseSnapshotKey('checkpoints/c1/snapshots/p12/other.snap')).toBeUndefined();
    expect(
      layout.parseSnapshotKey('checkpoints/c2/snapshots/p1/ck-000000000007-a1b2c3.full.snap'),
    ).toBeUndefined();
    expect(layout.parseManifestKey(layout.manifestKey(ck7))).toBe(ck7);
    expect(layout.parseManifestKey('checkpoints/c1/manifests/x.manifest')).toBeUndefined();
    expect(layout.manifestKey(ck7) < layout.manifestKey(formatCheckpointId(8, 'a'))).toBe(true);
  });
});
