/**
 * @ripple/core — the few definitions every Ripple package shares, each defined
 * once: the structural `Value` and the `Delta`/`PatchOp` shapes with
 * `applyDelta` (what every reader of deltas needs; the rest of the algebra
 * lives in @ripple/stream, the codec in @ripple/protocol), the int64 bounds,
 * and `RippleError`, the base of every package's error family. It depends on
 * nothing and does no I/O.
 */
export { applyDelta } from './apply-delta.ts';
export { isRetryable, RippleError } from './errors.ts';
export { INT64_MAX, INT64_MIN, isInt64 } from './int64.ts';
export type { Delta, PatchOp, Value, ValueRecord } from './value.ts';
