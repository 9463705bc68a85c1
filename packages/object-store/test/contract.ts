// The ObjectStore contract, run against every adapter: the in-memory and
// directory ones in the unit suite, S3 (the real Ceph RGW) in the
// integration suite.
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { InvalidObjectKeyError, type ObjectStore } from '../src/index.ts';

export function objectStoreContract(make: () => ObjectStore, prefix: () => string): void {
  it('put then get returns the same bytes; head gives the size; missing is null', async () => {
    const s = make();
    const p = prefix();
    const big = new Uint8Array(randomBytes(300_001));
    await s.put(`${p}a/big.bin`, big);
    // compared as one buffer: toEqual walks 300,001 elements, seconds on a loaded machine
    const got = await s.get(`${p}a/big.bin`);
    expect(got?.length).toBe(big.length);
    expect(Buffer.from(got!.buffer, got!.byteOffset, got!.length).equals(big)).toBe(true);
    expect(await s.head(`${p}a/big.bin`)).toEqual({ key: `${p}a/big.bin`, size: big.length });
    expect(await s.get(`${p}a/missing`)).toBeNull();
    expect(await s.head(`${p}a/missing`)).toBeNull();
    await s.put(`${p}a/empty`, new Uint8Array(0));
    expect(await s.get(`${p}a/empty`)).toEqual(new Uint8Array(0));
    await s.delete([`${p}a/big.bin`, `${p}a/empty`]);
  });

  it('put replaces; list is sorted and limited to the prefix; delete tolerates missing keys', async () => {
    const s = make();
    const p = prefix();
    await s.put(`${p}x/2`, new Uint8Array([1, 2]));
    await s.put(`${p}x/1`, new Uint8Array([1]));
    await s.put(`${p}x/1`, new Uint8Array([1, 2, 3]));
    await s.put(`${p}y/1`, new Uint8Array([9]));
    expect(await s.list(`${p}x/`)).toEqual([
      { key: `${p}x/1`, size: 3 },
      { key: `${p}x/2`, size: 2 },
    ]);
    await s.delete([`${p}x/1`, `${p}x/nope`]);
    expect((await s.list(p)).map((o) => o.key)).toEqual([`${p}x/2`, `${p}y/1`]);
    await s.delete([`${p}x/2`, `${p}y/1`]);
    expect(await s.list(p)).toEqual([]);
  });

  it('refuses keys no adapter may use', async () => {
    const s = make();
    for (const bad of ['', 'a//b', '../x', 'a/./b', 'a\u0000b'])
      await expect(s.put(bad, new Uint8Array(1))).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });
}
