import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SnapshotStoreUnavailableError } from '../errors.ts';
import type { SnapshotStore, StoredSnapshot } from '../ports.ts';

export interface S3StoreOptions {
  readonly endpoint: string | null;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  /** Key prefix, e.g. "checkpoints" or "checkpoints/<cluster>". */
  readonly prefix: string;
  /** Per-request timeout; a hung S3 must not hang checkpoints forever. */
  readonly requestTimeoutMs?: number;
}

/**
 * Snapshots in S3 (or any S3 API: Ceph RGW, MinIO): `<prefix>/p<partition>/<id>.snap`,
 * and a small pointer object `<prefix>/p<partition>/LATEST` holding the id of
 * the latest complete snapshot. `put` writes the snapshot, then the pointer:
 * a crash or failure in between leaves the previous pointer, so a partial or
 * failed checkpoint is never "latest".
 */
export class S3SnapshotStore implements SnapshotStore {
  readonly name = 's3';
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(o: S3StoreOptions) {
    this.bucket = o.bucket;
    this.prefix = o.prefix.replace(/\/+$/, '');
    this.s3 = new S3Client({
      region: o.region,
      ...(o.endpoint !== null ? { endpoint: o.endpoint } : {}),
      forcePathStyle: true,
      // Non-AWS S3 APIs reject or corrupt streamed, checksummed uploads with the SDK defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      requestHandler: {
        requestTimeout: o.requestTimeoutMs ?? 5000,
        connectionTimeout: o.requestTimeoutMs ?? 5000,
      },
      ...(o.accessKeyId !== null && o.secretAccessKey !== null
        ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
        : {}),
    });
  }

  private key(partition: number, name: string): string {
    return `${this.prefix}/p${partition}/${name}`;
  }

  async put(partition: number, id: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(partition, `${id}.snap`),
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: 'application/x-ripple-snapshot',
        }),
      );
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(partition, 'LATEST'),
          Body: id,
          ContentType: 'text/plain',
        }),
      );
    } catch (e) {
      throw new SnapshotStoreUnavailableError('put', e);
    }
  }

  private async getBytes(key: string): Promise<Uint8Array | null> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (r.Body === undefined) return null;
      return await r.Body.transformToByteArray();
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return null;
      throw new SnapshotStoreUnavailableError('get', e);
    }
  }

  async latest(partition: number): Promise<StoredSnapshot | null> {
    const pointer = await this.getBytes(this.key(partition, 'LATEST'));
    if (pointer === null) return null;
    const id = new TextDecoder().decode(pointer).trim();
    const bytes = await this.getBytes(this.key(partition, `${id}.snap`));
    return bytes === null ? null : { id, bytes };
  }

  /**
   * Committed snapshots: those at or before the LATEST pointer, and the
   * pointer's own id even when its object is missing (recovery then counts it
   * as unreadable and falls back). Without a pointer, every snapshot object.
   */
  async list(partition: number): Promise<string[]> {
    try {
      const pointer = await this.getBytes(this.key(partition, 'LATEST'));
      const ids = await this.ids(partition);
      if (pointer === null) return ids;
      const latest = new TextDecoder().decode(pointer).trim();
      const committed = ids.filter((id) => id <= latest);
      if (!committed.includes(latest)) committed.push(latest);
      return committed.sort();
    } catch (e) {
      if (e instanceof SnapshotStoreUnavailableError) throw e;
      throw new SnapshotStoreUnavailableError('list', e);
    }
  }

  async get(partition: number, id: string): Promise<Uint8Array | null> {
    return await this.getBytes(this.key(partition, `${id}.snap`));
  }

  private async ids(partition: number): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.key(partition, ''),
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of r.Contents ?? []) {
        const k = o.Key ?? '';
        if (k.endsWith('.snap')) out.push(k.slice(k.lastIndexOf('/') + 1, -'.snap'.length));
      }
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort();
  }

  async prune(partition: number, keep: number): Promise<void> {
    try {
      const pointer = await this.getBytes(this.key(partition, 'LATEST'));
      const latest = pointer === null ? null : new TextDecoder().decode(pointer).trim();
      const ids = await this.ids(partition);
      const old = ids.slice(0, Math.max(0, ids.length - keep)).filter((id) => id !== latest);
      if (old.length === 0) return;
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: old.map((id) => ({ Key: this.key(partition, `${id}.snap`) })) },
        }),
      );
    } catch (e) {
      throw new SnapshotStoreUnavailableError('prune', e);
    }
  }

  destroy(): void {
    this.s3.destroy();
  }
}
