/**
 * Restore lookup over NATS request/reply (subject
 * `clusterSubjects(c).checkpointLookup`): a worker about to own partition p
 * asks for the newest committed snapshot chain of p. The checkpointer reads
 * every object of the chain and checks size and CRC-32C before answering; a
 * corrupt or missing object is reported in `skipped` and the previous
 * committed checkpoint is offered instead. JSON, validated like the control
 * messages; int64 as decimal strings.
 *
 * status: `ok` (snapshot set), `none` (no committed checkpoint holds a
 * valid chain for p: start from the input's beginning), `unavailable` (the
 * store could not be read: retry).
 */
import { parseCheckpointId } from './checkpoint-id.ts';
import {
  type CheckpointDocument,
  CheckpointDocumentTooLargeError,
  InvalidCheckpointFieldError,
  MalformedCheckpointDocumentError,
} from './errors.ts';
import { FieldReader, isJsonObject } from './fields.ts';
import { type PartitionCheckpoint, readPartitionCheckpoint } from './manifest.ts';

export interface RestoreRequest {
  readonly type: 'restore_request';
  readonly v: 1;
  readonly requestId: string;
  readonly partition: number;
}

export const RESTORE_STATUSES = ['ok', 'none', 'unavailable'] as const;
export type RestoreStatus = (typeof RESTORE_STATUSES)[number];

/** A snapshot object passed over because it failed verification. */
export interface SkippedSnapshot {
  readonly checkpointId: string;
  readonly key: string;
  /** e.g. `missing`, `size 10 != 12`, `crc32c 1a2b3c4d != 5e6f7a8b` */
  readonly reason: string;
}

export interface RestorePlanReply {
  readonly type: 'restore_plan';
  readonly v: 1;
  readonly requestId: string;
  readonly partition: number;
  readonly status: RestoreStatus;
  /** the committed checkpoint whose reference is offered (null unless status is ok) */
  readonly checkpointId: string | null;
  readonly snapshot: PartitionCheckpoint | null;
  readonly skipped: readonly SkippedSnapshot[];
}

export const DEFAULT_MAX_RESTORE_MESSAGE_BYTES = 1024 * 1024;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function parse(doc: CheckpointDocument, type: string, bytes: Uint8Array, max: number): FieldReader {
  if (bytes.length > max) throw new CheckpointDocumentTooLargeError(doc, bytes.length, max);
  let raw: unknown;
  try {
    raw = JSON.parse(strictUtf8.decode(bytes));
  } catch (cause) {
    throw new MalformedCheckpointDocumentError(doc, 'not UTF-8 JSON', { cause });
  }
  if (!isJsonObject(raw)) throw new MalformedCheckpointDocumentError(doc, 'not a JSON object');
  const f: FieldReader = new FieldReader(doc, raw);
  if (raw.type !== type) f.fail('type', `is not ${type}`);
  if (raw.v !== 1) f.fail('v', 'is not a supported version (1)');
  return f;
}

export function validateRestoreRequest(f: FieldReader): RestoreRequest {
  return { type: 'restore_request', v: 1, requestId: f.id('requestId'), partition: f.partition('partition') };
}

export function encodeRestoreRequest(r: RestoreRequest): Uint8Array {
  const bytes = utf8.encode(toJson(r));
  decodeRestoreRequest(bytes);
  return bytes;
}

export function decodeRestoreRequest(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_RESTORE_MESSAGE_BYTES,
): RestoreRequest {
  return validateRestoreRequest(parse('restore_request', 'restore_request', bytes, maxBytes));
}

export function encodeRestoreReply(r: RestorePlanReply): Uint8Array {
  const bytes = utf8.encode(toJson(r));
  decodeRestoreReply(bytes);
  return bytes;
}

export function decodeRestoreReply(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_RESTORE_MESSAGE_BYTES,
): RestorePlanReply {
  const f = parse('restore_reply', 'restore_plan', bytes, maxBytes);
  const partition = f.partition('partition');
  const status = f.oneOf('status', RESTORE_STATUSES);
  const skipped = f.objects('skipped', (g) => ({
    checkpointId: g.id('checkpointId'),
    key: g.key('key'),
    reason: g.str('reason'),
  }));
  const base = {
    type: 'restore_plan' as const,
    v: 1 as const,
    requestId: f.id('requestId'),
    partition,
    status,
  };
  if (status !== 'ok') {
    if (f.raw.checkpointId !== null) f.fail('checkpointId', `is not null with status ${status}`);
    if (f.raw.snapshot !== null) f.fail('snapshot', `is not null with status ${status}`);
    return { ...base, checkpointId: null, snapshot: null, skipped };
  }
  const checkpointId = f.id('checkpointId');
  if (parseCheckpointId(checkpointId) === undefined) f.fail('checkpointId', 'is not a checkpoint id');
  const snapshot = readPartitionCheckpoint(f.object('snapshot'));
  if (snapshot.partition !== partition)
    throw new InvalidCheckpointFieldError(
      'restore_reply',
      'snapshot.partition',
      'is not the requested partition',
    );
  return { ...base, checkpointId, snapshot, skipped };
}
