/** Bounds of a signed 64-bit integer as bigint: every time and int64 field on the wire lies in [INT64_MIN, INT64_MAX]. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** True when `v` fits an int64 field. */
export function isInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}
