/**
 * Delta algebra: how an output value changes, as data.
 *
 * `Set(v)` replaces the value, `Remove` deletes it, `Patch(ops)` edits a record
 * with absolute operations (field set/remove, map-key set/remove). Absolute ops
 * make every delta idempotent, so a replayed delta is harmless: with
 * per-partition sequence numbers this gives effectively-once output.
 *
 * Laws (property-tested in test/delta.test.ts):
 * - `apply(d, apply(d, v))` equals `apply(d, v)` (idempotence)
 * - `apply(diff(a, b), a)` equals `b`
 * - `compose(compose(a, b), c)` equals `compose(a, compose(b, c))` (structurally)
 * - `apply(compose(a, b), v)` equals `apply(b, apply(a, v))`
 * - `compose(d, Set v)` is `Set v`; `compose(d, Remove)` is `Remove`
 *
 * Conventions: an absent value is `undefined`. A patch applied to anything
 * but a record treats it as the empty record. A map op makes its field a map
 * (an empty record) first when the field is absent or not a record. Arrays are
 * atomic values (replaced whole). Values are never mutated: `apply` returns a
 * new record and shares unchanged parts.
 */

import { applyDelta, type Delta, type PatchOp, type Value, type ValueRecord } from '@ripple/core';

// The shapes are defined once in @ripple/core (shared with the protocol's codec); the algebra is here.
export type { Delta, PatchOp, Value, ValueRecord };

const REMOVE: Delta = Object.freeze({ kind: 'remove' });

export function setDelta(value: Value): Delta {
  return { kind: 'set', value };
}

export function removeDelta(): Delta {
  return REMOVE;
}

export function patchDelta(ops: readonly PatchOp[]): Delta {
  return { kind: 'patch', ops };
}

/** A plain record (not null, not an array). */
export function isRecord(v: Value | undefined): v is ValueRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of values (record key order ignored; numbers by `Object.is`, so NaN equals NaN). */
export function valueEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const arrA = Array.isArray(a);
  if (arrA !== Array.isArray(b)) return false;
  if (arrA) {
    const x = a as readonly Value[];
    const y = b as readonly Value[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!valueEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as ValueRecord;
  const y = b as ValueRecord;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k)) continue;
    n++;
    if (!Object.hasOwn(y, k) || !valueEqual(x[k], y[k])) return false;
  }
  for (const k in y) if (Object.hasOwn(y, k)) n--;
  return n === 0;
}

/** The value after `delta`; `undefined` means absent (after `Remove`). Defined in @ripple/core. */
export const apply: (delta: Delta, value: Value | undefined) => Value | undefined = applyDelta;

/**
 * A delta taking `from` to `to`: `Remove` when `to` is absent, a `Patch` when
 * both are records (field ops; map ops for fields that are records on both
 * sides), else `Set`. Equal records give an empty patch.
 */
export function diff(from: Value | undefined, to: Value | undefined): Delta {
  if (to === undefined) return REMOVE;
  if (!isRecord(from) || !isRecord(to)) return { kind: 'set', value: to };
  const ops: PatchOp[] = [];
  let shared = 0;
  // Object.keys, not for-in + hasOwn: one builtin call copying the object's key cache.
  const fields = Object.keys(to);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    const b = to[field] as Value;
    if (!Object.hasOwn(from, field)) {
      ops.push({ op: 'field_set', field, value: b });
      continue;
    }
    shared++;
    const a = from[field] as Value;
    // Same primitive or same reference (Object.is but for +0/-0, left to valueEqual): no op.
    if (a === b && (a !== 0 || 1 / a === 1 / (b as number))) continue;
    if (valueEqual(a, b)) continue;
    if (isRecord(a) && isRecord(b)) {
      for (const key in b) {
        if (!Object.hasOwn(b, key)) continue;
        const bv = b[key] as Value;
        if (!Object.hasOwn(a, key) || !valueEqual(a[key], bv))
          ops.push({ op: 'map_set', field, key, value: bv });
      }
      for (const key in a) {
        if (Object.hasOwn(a, key) && !Object.hasOwn(b, key)) ops.push({ op: 'map_remove', field, key });
      }
    } else {
      ops.push({ op: 'field_set', field, value: b });
    }
  }
  // A field of `from` missing from `to` exists only when `from` has more own fields than the shared ones.
  if (Object.keys(from).length !== shared) {
    for (const field in from) {
      if (Object.hasOwn(from, field) && !Object.hasOwn(to, field)) ops.push({ op: 'field_remove', field });
    }
  }
  return { kind: 'patch', ops };
}

/**
 * One delta equal to `first` then `second`: `apply(compose(a, b), v)` equals
 * `apply(b, apply(a, v))`. Two patches concatenate, dropping every op that a
 * later op overwrites (a field op overwrites earlier ops on its field, a map op
 * earlier map ops on its key), which keeps composed patches small and makes
 * `compose` associative structurally, not only in effect.
 */
export function compose(first: Delta, second: Delta): Delta {
  if (second.kind !== 'patch') return second;
  // a patch applied to a value is a record (never undefined)
  if (first.kind === 'set') return { kind: 'set', value: applyDelta(second, first.value) as ValueRecord };
  if (first.kind === 'remove') return { kind: 'set', value: applyDelta(second, undefined) as ValueRecord };
  return { kind: 'patch', ops: normalizeOps([...first.ops, ...second.ops]) };
}

/** Keep only the ops not overwritten by a later op, in their original order. */
function normalizeOps(ops: readonly PatchOp[]): PatchOp[] {
  const fieldDone = new Set<string>();
  const keyDone = new Map<string, Set<string>>();
  const kept: PatchOp[] = [];
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i] as PatchOp;
    if (fieldDone.has(op.field)) continue;
    if (op.op === 'field_set' || op.op === 'field_remove') {
      fieldDone.add(op.field);
    } else {
      let keys = keyDone.get(op.field);
      if (keys === undefined) {
        keys = new Set();
        keyDone.set(op.field, keys);
      }
      if (keys.has(op.key)) continue;
      keys.add(op.key);
    }
    kept.push(op);
  }
  return kept.reverse();
}
