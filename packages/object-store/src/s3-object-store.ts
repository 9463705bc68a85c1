import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type ObjectStoreOp, ObjectStoreUnavailableError } from './errors.ts';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store.ts';
import { checkObjectKey } from './object-store.ts';

export interface S3ObjectStoreOptions {
  /** null: the SDK's default AWS endpoint */
  readonly endpoint: string | null;
  readonly region: string;
  readonly bucket: string;
  /** null: the SDK's default credential chain */
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  /** per-request timeout: a hung S3 must not hang a checkpoint forever (default 5000) */
  readonly requestTimeoutMs?: number;
}

const DELETE_BATCH = 1000;

/**
 * Any S3 API (AWS, Ceph RGW, MinIO). Path-style addressing and checksums
 * only when the API requires them: with the SDK defaults Ceph refuses
 * streamed uploads and some emulators store them corrupted (INFRA.md).
 * The SDK's own retries are off (`maxAttempts: 1`): callers own the retry
 * policy and branch on ObjectStoreUnavailableError.retryable.
 */
export class S3ObjectStore implements ObjectStore {
  readonly name = 's3';
  readonly bucket: string;
  private readonly s3: S3Client;

  constructor(o: S3ObjectStoreOptions) {
    this.bucket = o.bucket;
    const timeout = o.requestTimeoutMs ?? 5000;
    this.s3 = new S3Client({
      region: o.region,
      ...(o.endpoint !== null ? { endpoint: o.endpoint } : {}),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      requestHandler: { requestTimeout: timeout, connectionTimeout: timeout },
      ...(o.accessKeyId !== null && o.secretAccessKey !== null
        ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
        : {}),
    });
  }

  private async io<T>(op: ObjectStoreOp, key: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw new ObjectStoreUnavailableError(op, key, e);
    }
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    checkObjectKey(key);
    await this.io('put', key, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: options?.contentType ?? 'application/octet-stream',
        }),
      ),
    );
  }

  async get(key: string): Promise<Uint8Array | null> {
    checkObjectKey(key);
    return this.io('get', key, async () => {
      try {
        const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        return r.Body === undefined ? new Uint8Array(0) : await r.Body.transformToByteArray();
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    checkObjectKey(key);
    return this.io('head', key, async () => {
      try {
        const r = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return { key, size: r.ContentLength ?? 0 };
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return this.io('list', prefix, async () => {
      const out: ObjectInfo[] = [];
      let token: string | undefined;
      do {
        const r = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of r.Contents ?? [])
          if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
        token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
      } while (token !== undefined);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) checkObjectKey(k);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      await this.io('delete', batch[0]!, async () => {
        const r = await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = (r.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (failed.length > 0)
          throw new Error(`${failed.length} deletes failed, first: ${failed[0]!.Code} ${failed[0]!.Key}`);
      });
    }
  }

  close(): void {
    this.s3.destroy();
  }
}

function isNotFound(e: unknown): boolean {
  const x = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return x.name === 'NoSuchKey' || x.name === 'NotFound' || x.$metadata?.httpStatusCode === 404;
}
