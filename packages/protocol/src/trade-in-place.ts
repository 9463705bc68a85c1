/**
 * Trades without an allocation per trade: encode into a buffer the caller
 * owns, decode into an object the caller owns and reuses, the int64 event time
 * held exactly as its two 32-bit halves instead of a `bigint`. The payload
 * bytes are those of trade-codec.ts (same grammar, same checks, same typed
 * errors), so both sides may mix the two APIs.
 *
 * Hazards: a `TradeSlot` filled by `readTradeInto` is overwritten by the next
 * call (copy what must outlive it: `toTrade()`); its strings come from the
 * same short-string cache as `decodeTradePayload`'s.
 */
import {
  getF64,
  getU32,
  getU53,
  INT64_MAX,
  INT64_MIN,
  putF64,
  putStr8,
  putU32,
  putU53,
  utf8,
} from './bytes.ts';
import { InvalidValueError, MalformedPayloadError, TruncatedError, ValueOutOfRangeError } from './errors.ts';
import type { Trade } from './trade-codec.ts';

const MIN_TRADE_BYTES = 26;
const TWO32 = 4294967296;

/** A trade with its event time as the two 32-bit halves of the int64 (exact, no bigint). */
export class TradeSlot {
  symbol = '';
  /** float64, finite */
  price = 0;
  /** integer >= 0 */
  size = 0;
  /** event time, int64 ns: the high 32 bits, signed (-2^31 .. 2^31-1) */
  timeHi = 0;
  /** event time, int64 ns: the low 32 bits, unsigned (0 .. 2^32-1) */
  timeLo = 0;
  venue = '';

  /** Copies `t`: its timestamp checked (int64) and split once; the other fields are checked by `writeTradeAt`. */
  setTrade(t: Trade): this {
    const ts = t.timestampNs;
    if (typeof ts !== 'bigint' || ts < INT64_MIN || ts > INT64_MAX) {
      throw new InvalidValueError('trade.timestampNs', 'not an int64 bigint');
    }
    this.symbol = t.symbol;
    this.price = t.price;
    this.size = t.size;
    this.timeHi = Number(BigInt.asIntN(32, ts >> 32n));
    this.timeLo = Number(BigInt.asUintN(32, ts));
    this.venue = t.venue;
    return this;
  }

  /** The event time as int64 ns (allocates a bigint). */
  timestampNs(): bigint {
    return (BigInt(this.timeHi) << 32n) | BigInt(this.timeLo);
  }

  /** An owned `Trade` with the same fields. */
  toTrade(): Trade {
    return {
      symbol: this.symbol,
      price: this.price,
      size: this.size,
      timestampNs: this.timestampNs(),
      venue: this.venue,
    };
  }
}

/** The checks of a trade's price and size before it is written (shared with `writeTrade`). */
export function checkPriceAndSize(price: number, size: number): void {
  if (typeof price !== 'number' || !Number.isFinite(price))
    throw new InvalidValueError('trade.price', 'not a finite number');
  if (!Number.isSafeInteger(size) || size < 0)
    throw new InvalidValueError('trade.size', 'not an integer in [0, 2^53-1]');
}

/** The type checks of a trade's symbol and venue (their UTF-8 length is checked as they are written). */
export function checkNames(symbol: string, venue: string): void {
  if (typeof symbol !== 'string' || symbol.length === 0)
    throw new InvalidValueError('trade.symbol', 'not a non-empty string');
  if (typeof venue !== 'string') throw new InvalidValueError('trade.venue', 'not a string');
}

/**
 * Writes the trade payload of `t` at `b[at, ...)` and returns its end offset,
 * or -1 when it does not fit in `b` (then write it elsewhere). An invalid
 * trade throws `InvalidValueError` like `encodeTradePayload`. On -1 or a
 * throw, bytes from `at` on may have been written; none before `at`.
 */
export function writeTradeAt(b: Uint8Array, at: number, t: TradeSlot): number {
  const { price, size, timeHi, timeLo, symbol, venue } = t;
  if (!Number.isSafeInteger(at) || at < 0) throw new InvalidValueError('offset', 'not an integer >= 0');
  checkPriceAndSize(price, size);
  if (!Number.isInteger(timeHi) || timeHi < -0x80000000 || timeHi > 0x7fffffff)
    throw new InvalidValueError('trade.timeHi', 'not an integer in [-2^31, 2^31-1]');
  if (!Number.isInteger(timeLo) || timeLo < 0 || timeLo >= TWO32)
    throw new InvalidValueError('trade.timeLo', 'not an integer in [0, 2^32-1]');
  checkNames(symbol, venue);
  if (at + MIN_TRADE_BYTES > b.length) return -1;
  putF64(b, at, price);
  putU32(b, at + 8, timeLo);
  putU32(b, at + 12, timeHi);
  putU53(b, at + 16, size);
  const venueAt = putStr8(b, at + 24, symbol, 255);
  if (venueAt === -2)
    throw new InvalidValueError('trade.symbol', 'longer than 255 UTF-8 bytes or not well-formed');
  const end = putStr8(b, venueAt < 0 ? at + 24 : venueAt, venue, 255);
  if (end === -2)
    throw new InvalidValueError('trade.venue', 'longer than 255 UTF-8 bytes or not well-formed');
  return venueAt < 0 ? -1 : end;
}

/**
 * Decodes the trade payload that must fill exactly `b[start, end)` into
 * `out` (and returns it); the checks and errors of `decodeTradePayload`,
 * `base` added to offsets in errors. On a throw `out` is unchanged.
 */
export function readTradeInto(
  b: Uint8Array,
  start: number,
  end: number,
  out: TradeSlot,
  base = 0,
): TradeSlot {
  const venueAt = checkTradeAt(b, start, end, base);
  // both strings first: invalid UTF-8 throws before `out` is touched
  const symbol = utf8(b, start + 25, venueAt);
  const venue = utf8(b, venueAt + 1, end);
  out.symbol = symbol;
  out.price = getF64(b, start);
  out.size = getU53(b, start + 16);
  out.timeLo = getU32(b, start + 8);
  out.timeHi = getU32(b, start + 12) | 0;
  out.venue = venue;
  return out;
}

/**
 * Checks the trade payload `b[start, end)` (length, finite price, size below
 * 2^53, non-empty symbol, symbol and venue filling it exactly) and returns the
 * offset of its venue's length byte; shared with `readTrade`. The checks are
 * one condition on bytes (the price's exponent bits, the size's top bytes),
 * small enough to be inlined; a payload that fails it goes to `tradeError`,
 * which runs them one by one to throw the first failure's typed error.
 */
export function checkTradeAt(b: Uint8Array, start: number, end: number, base: number): number {
  if (end - start >= MIN_TRADE_BYTES) {
    const venueAt = start + 25 + b[start + 24]!;
    if (
      venueAt > start + 25 &&
      venueAt < end &&
      venueAt + 1 + b[venueAt]! === end &&
      ((b[start + 7]! & 0x7f) !== 0x7f || (b[start + 6]! & 0xf0) !== 0xf0) &&
      b[start + 23] === 0 &&
      b[start + 22]! <= 0x1f
    )
      return venueAt;
  }
  throw tradeError(b, start, end, base);
}

/** The typed error of the first check that `b[start, end)` fails, in the order of the grammar. */
function tradeError(b: Uint8Array, start: number, end: number, base: number): Error {
  if (end - start < MIN_TRADE_BYTES)
    return new TruncatedError('trade', MIN_TRADE_BYTES, end - start, base + start);
  if (!Number.isFinite(getF64(b, start)))
    return new ValueOutOfRangeError('trade.price', 'not finite', base + start);
  if (getU53(b, start + 16) < 0)
    return new ValueOutOfRangeError('trade.size', 'above 2^53-1', base + start + 16);
  const sl = b[start + 24]!;
  if (sl === 0) return new ValueOutOfRangeError('trade.symbol', 'empty', base + start + 24);
  const symStart = start + 25;
  const venueAt = symStart + sl;
  if (venueAt + 1 > end) return new TruncatedError('trade symbol', sl + 1, end - symStart, base + symStart);
  const vl = b[venueAt]!;
  const venueEnd = venueAt + 1 + vl;
  if (venueEnd > end) return new TruncatedError('trade venue', vl, end - venueAt - 1, base + venueAt + 1);
  return new MalformedPayloadError(`${end - venueEnd} trailing byte(s) after trade`, base + venueEnd);
}
