/**
 * KvStore over a JetStream KV bucket. Revisions are the stream sequence
 * numbers; `update(key, value, 0)` is `create` (fails if the key exists),
 * otherwise `update` with the expected revision. JetStream's "wrong last
 * sequence" (10071) becomes KvConflictError; every other failure
 * KvUnavailableError (retryable).
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { KvConflictError, type KvEntry, type KvStore, KvUnavailableError } from '@ripple/cluster';

const WRONG_LAST_SEQUENCE = 10071;

export class NatsKv implements KvStore {
  readonly bucket: string;
  private readonly kv: KV;

  private constructor(bucket: string, kv: KV) {
    this.bucket = bucket;
    this.kv = kv;
  }

  /** Opens the bucket, creating it if missing (history 1: only the latest value matters). */
  static async open(nc: NatsConnection, bucket: string): Promise<NatsKv> {
    try {
      return new NatsKv(bucket, await new Kvm(nc).create(bucket, { history: 1 }));
    } catch (cause) {
      throw new KvUnavailableError(`open bucket ${bucket}`, cause);
    }
  }

  async get(key: string): Promise<KvEntry | null> {
    try {
      const e = await this.kv.get(key);
      if (e === null || e.operation !== 'PUT') return null;
      return { value: e.value, revision: e.revision };
    } catch (cause) {
      throw new KvUnavailableError(`get ${this.bucket}/${key}`, cause);
    }
  }

  async update(key: string, value: Uint8Array, expectedRevision: number): Promise<number> {
    try {
      return expectedRevision === 0
        ? await this.kv.create(key, value)
        : await this.kv.update(key, value, expectedRevision);
    } catch (cause) {
      if (cause instanceof JetStreamApiError && cause.code === WRONG_LAST_SEQUENCE) {
        throw new KvConflictError(key, expectedRevision, cause);
      }
      throw new KvUnavailableError(`update ${this.bucket}/${key}`, cause);
    }
  }

  /** Deletes the bucket (tests). */
  async destroy(): Promise<void> {
    await this.kv.destroy();
  }
}
