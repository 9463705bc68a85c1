/**
 * The coordinator's durable state, one JSON document in the state KV bucket:
 * the epoch counter and the partition table as last written. It is written
 * with a compare-and-set on its revision, which also fences a deposed leader
 * (its next write fails). The table may lag behind reality (acks after the
 * last write); a new leader corrects it from heartbeats. The epoch may not:
 * every epoch is written here before any message carries it, so a restarted
 * or new leader never reuses one.
 */
import { KvCorruptError } from './errors.ts';

export interface CoordinatorStateDoc {
  readonly v: 1;
  /** highest epoch ever allocated */
  readonly epoch: number;
  readonly numPartitions: number;
  /** owner per partition (index = partition), null when unowned */
  readonly owners: readonly (string | null)[];
  /** epoch under which each owner holds its partition */
  readonly epochs: readonly number[];
  /** the owner's process incarnation when it took the partition ('' unknown) */
  readonly incarnations?: readonly string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeStateDoc(doc: CoordinatorStateDoc): Uint8Array {
  return encoder.encode(JSON.stringify(doc));
}

/** Decodes and validates; throws KvCorruptError naming `key`. */
export function decodeStateDoc(key: string, bytes: Uint8Array): CoordinatorStateDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new KvCorruptError(key, 'not UTF-8 JSON', cause);
  }
  if (typeof raw !== 'object' || raw === null) throw new KvCorruptError(key, 'not an object');
  const r = raw as Record<string, unknown>;
  if (r.v !== 1) throw new KvCorruptError(key, `unsupported version ${String(r.v)}`);
  const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!isCount(r.epoch)) throw new KvCorruptError(key, 'epoch is not a count');
  if (!isCount(r.numPartitions) || r.numPartitions < 1)
    throw new KvCorruptError(key, 'numPartitions is not positive');
  const n = r.numPartitions;
  if (!Array.isArray(r.owners) || r.owners.length !== n) throw new KvCorruptError(key, 'owners length');
  if (!Array.isArray(r.epochs) || r.epochs.length !== n) throw new KvCorruptError(key, 'epochs length');
  for (const o of r.owners) {
    if (o !== null && (typeof o !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(o)))
      throw new KvCorruptError(key, 'an owner is not a worker id');
  }
  for (const e of r.epochs) {
    if (!isCount(e) || e > r.epoch) throw new KvCorruptError(key, 'a partition epoch is above the counter');
  }
  const doc = {
    v: 1 as const,
    epoch: r.epoch,
    numPartitions: n,
    owners: r.owners as (string | null)[],
    epochs: r.epochs as number[],
  };
  if (r.incarnations === undefined) return doc;
  if (
    !Array.isArray(r.incarnations) ||
    r.incarnations.length !== n ||
    !r.incarnations.every((x) => typeof x === 'string' && x.length <= 64)
  ) {
    throw new KvCorruptError(key, 'incarnations is not a list of strings per partition');
  }
  return { ...doc, incarnations: r.incarnations as string[] };
}
