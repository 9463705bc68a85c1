/**
 * @ripple/core — the few definitions every Ripple package shares, each defined
 * once: the structural `Value` and the `Delta`/`PatchOp` shapes (the algebra
 * lives in @ripple/stream, the codec in @ripple/protocol), the int64 bounds,
 * and `RippleError`, the base of every package's error family. Types and
 * constants only: it depends on nothing and does no I/O.
 */
export { isRetryable, RippleError } from './errors.ts';
export { INT64_MAX, INT64_MIN, isInt64 } from './int64.ts';
export type { Delta, PatchOp, Value, ValueRecord } from './value.ts';
