import { describe, expect, it } from 'vitest';
import { INT64_MAX, INT64_MIN, isInt64, isRetryable, RippleError } from '../src/index.ts';

class Down extends RippleError {
  readonly code = 'TEST_DOWN';
  readonly retryable = true;
}
class Bad extends RippleError {
  readonly code = 'TEST_BAD';
  readonly retryable = false;
}

describe('core', () => {
  it('int64 bounds are the signed 64-bit range', () => {
    expect(BigInt.asIntN(64, INT64_MAX + 1n)).toBe(INT64_MIN);
    expect([INT64_MIN, INT64_MAX, 0n].every(isInt64)).toBe(true);
    expect(isInt64(INT64_MAX + 1n) || isInt64(INT64_MIN - 1n)).toBe(false);
  });

  it('RippleError carries code, retryable and cause; isRetryable branches on the flag only', () => {
    const cause = new Error('socket closed');
    const e = new Down('store unreachable', { cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.retryable, e.cause]).toEqual(['TEST_DOWN', true, cause]);
    expect(isRetryable(e)).toBe(true);
    expect(isRetryable(new Bad('malformed'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('x'), { retryable: true }))).toBe(false);
  });
});
