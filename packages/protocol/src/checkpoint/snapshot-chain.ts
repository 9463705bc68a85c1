/**
 * Snapshot chains: how a partition's state is stored across checkpoints.
 *
 * A chain is one full snapshot (the base) followed by increments, each
 * holding only the keys that changed since the object before it (set) and
 * the keys that disappeared (removed). Restoring applies them in order.
 * A chain is cut (the next snapshot is full) every `fullEvery` increments or
 * when the increments together outweigh `maxIncrementRatio` x the base, so
 * restore time and the bytes a chain pins stay bounded. An unchanged
 * partition writes nothing: its previous chain is carried into the next
 * manifest as is.
 *
 * The keyed fold here (`diffKeyed`, `applyIncrement`, `restoreKeyed`) is the
 * format's semantics, independent of how an engine encodes keys and values:
 * restoring base + increments must equal the full snapshot of the same
 * state (property-tested).
 */
import { InvalidSnapshotChainError } from './errors.ts';
import type { SnapshotKind, SnapshotObjectRef } from './manifest.ts';

export const MAX_CHAIN_LENGTH = 1024;

export interface ChainPolicy {
  /** a full snapshot after this many increments (K); 0 = always full */
  readonly fullEvery: number;
  /** a full snapshot when the increments' bytes exceed this multiple of the base's */
  readonly maxIncrementRatio: number;
}

export const DEFAULT_CHAIN_POLICY: ChainPolicy = { fullEvery: 10, maxIncrementRatio: 1 };

/** Throws InvalidSnapshotChainError unless `chain` is a restorable chain. */
export function validateChain(chain: readonly SnapshotObjectRef[], where = 'chain'): void {
  if (chain.length === 0) throw new InvalidSnapshotChainError(`${where} is empty`);
  if (chain.length > MAX_CHAIN_LENGTH)
    throw new InvalidSnapshotChainError(`${where} has ${chain.length} objects (max ${MAX_CHAIN_LENGTH})`);
  if (chain[0]!.kind !== 'full') throw new InvalidSnapshotChainError(`${where}[0] is not a full snapshot`);
  const keys = new Set<string>();
  chain.forEach((o, i) => {
    if (i > 0 && o.kind !== 'incremental')
      throw new InvalidSnapshotChainError(`${where}[${i}] is a full snapshot after the base`);
    if (keys.has(o.key)) throw new InvalidSnapshotChainError(`${where}[${i}] repeats key ${o.key}`);
    keys.add(o.key);
  });
}

/** The kind of the next snapshot of a partition whose committed chain is `previous`. */
export function nextSnapshotKind(
  previous: readonly SnapshotObjectRef[] | undefined,
  policy: ChainPolicy = DEFAULT_CHAIN_POLICY,
): SnapshotKind {
  if (previous === undefined || previous.length === 0) return 'full';
  const increments = previous.length - 1;
  if (increments >= policy.fullEvery) return 'full';
  const base = previous[0]!.bytes;
  let incr = 0;
  for (let i = 1; i < previous.length; i++) incr += previous[i]!.bytes;
  return incr > policy.maxIncrementRatio * Math.max(1, base) ? 'full' : 'incremental';
}

/** The chain after `next` is written on top of `previous` (a full snapshot starts a new chain). */
export function extendChain(
  previous: readonly SnapshotObjectRef[] | undefined,
  next: SnapshotObjectRef,
): SnapshotObjectRef[] {
  const chain = next.kind === 'full' ? [next] : [...(previous ?? []), next];
  validateChain(chain);
  return chain;
}

/** Keys changed between two states: what an increment object holds. */
export interface KeyedIncrement<K, V> {
  readonly set: ReadonlyArray<readonly [K, V]>;
  readonly removed: readonly K[];
}

export function diffKeyed<K, V>(
  before: ReadonlyMap<K, V>,
  after: ReadonlyMap<K, V>,
  equal: (a: V, b: V) => boolean = Object.is,
): KeyedIncrement<K, V> {
  const set: Array<readonly [K, V]> = [];
  const removed: K[] = [];
  for (const [k, v] of after) {
    const old = before.get(k);
    if (!before.has(k) || !equal(old as V, v)) set.push([k, v]);
  }
  for (const k of before.keys()) if (!after.has(k)) removed.push(k);
  return { set, removed };
}

/** Applies one increment in place (removals first, then sets); idempotent. */
export function applyIncrement<K, V>(state: Map<K, V>, inc: KeyedIncrement<K, V>): Map<K, V> {
  for (const k of inc.removed) state.delete(k);
  for (const [k, v] of inc.set) state.set(k, v);
  return state;
}

/** The state a chain restores to: the base, then every increment in order. */
export function restoreKeyed<K, V>(
  base: ReadonlyMap<K, V>,
  increments: ReadonlyArray<KeyedIncrement<K, V>>,
): Map<K, V> {
  const state = new Map(base);
  for (const inc of increments) applyIncrement(state, inc);
  return state;
}
