/**
 * The structural value of Ripple: what a graph node holds, what a delta
 * carries and what the wire encodes. Records are plain objects; `bigint`
 * carries int64 (e.g. nanoseconds). Defined once here so that the stream
 * layer (which computes deltas) and the protocol (which encodes them) agree
 * without depending on each other.
 */

export type Value =
  | null
  | boolean
  | number
  | string
  | bigint
  | readonly Value[]
  | { readonly [k: string]: Value };

export type ValueRecord = { readonly [k: string]: Value };

/** One absolute change inside a record: a field, or one key of a map field. */
export type PatchOp =
  | { readonly op: 'field_set'; readonly field: string; readonly value: Value }
  | { readonly op: 'field_remove'; readonly field: string }
  | { readonly op: 'map_set'; readonly field: string; readonly key: string; readonly value: Value }
  | { readonly op: 'map_remove'; readonly field: string; readonly key: string };

/** Absolute (idempotent) change to a value: Set, Patch or Remove. The algebra is in @ripple/stream. */
export type Delta =
  | { readonly kind: 'set'; readonly value: Value }
  | { readonly kind: 'patch'; readonly ops: readonly PatchOp[] }
  | { readonly kind: 'remove' };
