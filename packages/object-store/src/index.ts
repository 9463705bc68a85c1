/**
 * @ripple/object-store — the ObjectStore port and its adapters: S3 (any S3
 * API; `S3ObjectStore`), in-memory (`MemoryObjectStore`) and a local
 * directory (`DirObjectStore`). The contract is in object-store.ts; errors
 * carry a stable `code` and `retryable`.
 */
export { DirObjectStore } from './dir-object-store.ts';
export {
  InvalidObjectKeyError,
  ObjectStoreError,
  type ObjectStoreErrorCode,
  type ObjectStoreOp,
  ObjectStoreUnavailableError,
} from './errors.ts';
export { MemoryObjectStore } from './memory-object-store.ts';
export { checkObjectKey, type ObjectInfo, type ObjectStore, type PutOptions } from './object-store.ts';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.ts';
