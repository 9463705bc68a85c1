import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirObjectStore, MemoryObjectStore, ObjectStoreUnavailableError } from '../src/index.ts';
import { objectStoreContract } from './contract.ts';

describe('MemoryObjectStore', () => {
  objectStoreContract(
    () => new MemoryObjectStore(),
    () => 'm/',
  );
});

describe('DirObjectStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'ripple-objstore-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  objectStoreContract(
    () => new DirObjectStore(root),
    () => `t${n++}/`,
  );

  it('leaves no temporary files behind and reports an unusable root as unavailable', async () => {
    const s = new DirObjectStore(root);
    await s.put('z/obj', new Uint8Array([1]));
    expect(readdirSync(join(root, 'z'))).toEqual(['obj']);
    const blocked = new DirObjectStore(join(root, 'z', 'obj'));
    await expect(blocked.put('q', new Uint8Array(1))).rejects.toBeInstanceOf(ObjectStoreUnavailableError);
  });
});
