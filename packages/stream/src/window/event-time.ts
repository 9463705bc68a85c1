/**
 * Event-time sentinels of the stream layer, defined once.
 *
 * Inside the window operator "no time yet" and "never" are `NONE` and `INF`,
 * far outside the int64 range, so that they can never collide with a real
 * event time (which is an int64 nanosecond count) and arithmetic on them
 * (`INF - 1n`, `t + gap`) stays ordered. They never leave the operator: the
 * snapshot API maps them to the int64 bounds (`TIME_NONE` / `TIME_NEVER`), so
 * every time in a snapshot fits an int64 field of a wire schema.
 *
 * Hazard: a real time equal to an int64 bound reads back as the sentinel. For
 * a watermark or max event time that is harmless (nothing is due at or below
 * INT64_MIN, nothing after INT64_MAX); pane and session bounds are never
 * sentinels.
 */

import { INT64_MAX, INT64_MIN } from '@ripple/core';

/** Internal: before any time (below every int64). */
export const NONE = -(2n ** 126n);
/** Internal: after every time (above every int64). */
export const INF = 2n ** 126n;

/** In a snapshot: "no time" (no event seen, nothing pending). */
export const TIME_NONE = INT64_MIN;
/** In a snapshot: "never" / end of input. */
export const TIME_NEVER = INT64_MAX;

/** Internal time -> int64-safe snapshot time. */
export function toSnapshotTime(t: bigint): bigint {
  return t <= INT64_MIN ? TIME_NONE : t >= INT64_MAX ? TIME_NEVER : t;
}

/** Snapshot time -> internal time. */
export function fromSnapshotTime(t: bigint): bigint {
  return t === TIME_NONE ? NONE : t === TIME_NEVER ? INF : t;
}
