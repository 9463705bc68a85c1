/**
 * The ObjectStore port: immutable objects addressed by key, the only thing
 * checkpoints need from S3. Adapters: S3 (any S3 API), in-memory (tests,
 * embedded mode), local directory (a single machine without S3).
 *
 * Contract (the shared contract suite holds every adapter to it):
 * - `put` is atomic: a reader sees the whole object or none of it;
 * - `get`/`head` of a missing key return null (not an error);
 * - `list(prefix)` returns every object under the prefix, sorted by key;
 * - `delete` of a missing key is not an error;
 * - a store that cannot be reached throws ObjectStoreUnavailableError
 *   (retryable); a bad key throws InvalidObjectKeyError.
 */
import { InvalidObjectKeyError } from './errors.ts';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

export interface PutOptions {
  readonly contentType?: string;
}

export interface ObjectStore {
  /** adapter name for logs and metrics: s3, memory, dir */
  readonly name: string;
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  head(key: string): Promise<ObjectInfo | null>;
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(keys: readonly string[]): Promise<void>;
  close(): void;
}

const MAX_KEY = 1024;

/** Throws InvalidObjectKeyError unless `key` is usable by every adapter. */
export function checkObjectKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY)
    throw new InvalidObjectKeyError(String(key), `not 1..${MAX_KEY} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key))
    throw new InvalidObjectKeyError(key, 'control character or backslash');
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new InvalidObjectKeyError(key, 'empty, "." or ".." segment');
  return key;
}
