import { MemoryObjectStore, ObjectStoreUnavailableError } from '@ripple/object-store';
import { describe, expect, it } from 'vitest';
import { S3SnapshotStore } from '../src/adapters/s3-snapshot-store.ts';
import { SnapshotStoreUnavailableError } from '../src/errors.ts';

const options = {
  endpoint: null,
  region: 'us-east-1',
  bucket: 'b',
  accessKeyId: null,
  secretAccessKey: null,
  prefix: 'ck/',
};
const bytes = (s: string) => new TextEncoder().encode(s);

describe('S3SnapshotStore on the ObjectStore port', () => {
  it('put writes the object then LATEST; list holds what LATEST commits; prune keeps the newest', async () => {
    const objects = new MemoryObjectStore();
    const s = new S3SnapshotStore(options, objects);
    expect(await s.list(0)).toEqual([]);
    expect(await s.latest(0)).toBeNull();
    await s.put(0, 'a', bytes('A'));
    await s.put(0, 'b', bytes('B'));
    await s.put(1, 'a', bytes('X'));
    expect((await objects.list('ck/')).map((o) => o.key)).toEqual([
      'ck/p0/LATEST',
      'ck/p0/a.snap',
      'ck/p0/b.snap',
      'ck/p1/LATEST',
      'ck/p1/a.snap',
    ]);
    expect(await s.latest(0)).toEqual({ id: 'b', bytes: bytes('B') });
    // an object written after the pointer (a put that failed half-way) is not committed
    await objects.put('ck/p0/c.snap', bytes('C'));
    expect(await s.list(0)).toEqual(['a', 'b']);
    await s.put(0, 'd', bytes('D'));
    await s.prune(0, 2);
    expect(await s.list(0)).toEqual(['c', 'd']);
    expect(await s.get(0, 'a')).toBeNull();
  });

  it("a fenced owner's late write (an older epoch) never moves the pointer back", async () => {
    const objects = new MemoryObjectStore();
    const s = new S3SnapshotStore(options, objects);
    const at = (epoch: number, offset: number) =>
      `e${String(epoch).padStart(10, '0')}-o${String(offset).padStart(19, '0')}-t${'0'.repeat(20)}`;
    await s.put(0, at(1, 100), bytes('old owner'));
    await s.put(0, at(5, 154), bytes('new owner, hand-over'));
    await s.put(0, at(1, 126), bytes('zombie, back from a pause'));
    expect(await s.latest(0)).toEqual({ id: at(5, 154), bytes: bytes('new owner, hand-over') });
    expect(await s.list(0)).toEqual([at(1, 100), at(1, 126), at(5, 154)]);
    await s.put(0, at(5, 200), bytes('new owner, later'));
    expect((await s.latest(0))?.id).toBe(at(5, 200));
    await s.prune(0, 2);
    expect((await objects.list('ck/p0/LATEST')).map((o) => o.key)).toEqual(['ck/p0/LATEST.e0000000005']);
    expect(await s.list(0)).toEqual([at(5, 154), at(5, 200)]);
  });

  it('a store that cannot answer is SnapshotStoreUnavailableError (retryable)', async () => {
    const objects = new MemoryObjectStore();
    const s = new S3SnapshotStore(options, objects);
    objects.get = async () => {
      throw new ObjectStoreUnavailableError('get', 'k', new Error('down'));
    };
    objects.list = async () => {
      throw new ObjectStoreUnavailableError('list', 'k', new Error('down'));
    };
    const e = await s.list(0).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SnapshotStoreUnavailableError);
    expect((e as SnapshotStoreUnavailableError).retryable).toBe(true);
  });
});
