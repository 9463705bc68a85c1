// The ObjectStore contract against the real S3 API (Ceph RGW from infra/up.sh).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStoreUnavailableError, S3ObjectStore } from '../src/index.ts';
import { objectStoreContract } from './contract.ts';

function env(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `the S3 integration suite needs ${name}: run \`pnpm infra:up\` and \`source infra/.run/env\``,
    );
  return v;
}

describe('S3ObjectStore (real S3 API)', () => {
  const run = `it-object-store/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const stores: S3ObjectStore[] = [];
  const make = () => {
    const s = new S3ObjectStore({
      endpoint: env('S3_ENDPOINT'),
      region: env('S3_REGION'),
      bucket: env('S3_BUCKET'),
      accessKeyId: env('S3_ACCESS_KEY_ID'),
      secretAccessKey: env('S3_SECRET_ACCESS_KEY'),
    });
    stores.push(s);
    return s;
  };
  let n = 0;
  afterAll(async () => {
    const s = make();
    await s.delete((await s.list(`${run}/`)).map((o) => o.key));
    for (const x of stores) x.close();
  });

  objectStoreContract(make, () => `${run}/t${n++}/`);

  it('lists past one page (1000 keys) and deletes in batches', async () => {
    const s = make();
    const p = `${run}/many/`;
    const keys = Array.from({ length: 1005 }, (_, i) => `${p}${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => s.put(k, new Uint8Array([1]))));
    expect((await s.list(p)).map((o) => o.key)).toEqual(keys);
    await s.delete(keys);
    expect(await s.list(p)).toEqual([]);
  });

  it('a store that cannot be reached is a retryable ObjectStoreUnavailableError', async () => {
    const s = new S3ObjectStore({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      bucket: 'b',
      accessKeyId: 'a',
      secretAccessKey: 'b',
      requestTimeoutMs: 500,
    });
    const err = await s.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreUnavailableError);
    expect((err as ObjectStoreUnavailableError).retryable).toBe(true);
    s.close();
  });
});
