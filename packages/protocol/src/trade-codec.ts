/**
 * Trades: the input events of the data plane.
 *
 * Payload grammar (version 1, little-endian), 26 + |symbol| + |venue| bytes:
 * ```
 *  0  f64  price            finite
 *  8  i64  timestampNs      event time, ns
 * 16  u64  size             integer in [0, 2^53-1]
 * 24  u8   n, symbol[n]     UTF-8, 1..255 bytes
 *     u8   m, venue[m]      UTF-8, 0..255 bytes
 * ```
 * A single trade travels in a `Trade` frame, many in a `TradeBatch` frame
 * (see batch.ts); both carry `TRADE_SCHEMA`'s fingerprint.
 */
import { BatchEncoder, forEachRecord } from './batch.ts';
import {
  type ByteWriter,
  getF64,
  getI64,
  getU32,
  getU53,
  getU64,
  INT64_MAX,
  INT64_MIN,
  SlabWriter,
  utf8,
} from './bytes.ts';
import {
  type DecodeFrameOptions,
  decodeFrame,
  FRAME_OVERHEAD,
  type Frame,
  finishFrame,
  HEADER_BYTES,
  MessageType,
  TRAILER_BYTES,
  verifyFrame,
  writeHeader,
} from './envelope.ts';
import {
  BadLengthError,
  InvalidValueError,
  MalformedPayloadError,
  UnexpectedMessageError,
  UnknownSchemaError,
} from './errors.ts';
import { defineSchema } from './schema.ts';
import type { Schema } from './schema-types.ts';
import { checkNames, checkPriceAndSize, checkTradeAt } from './trade-in-place.ts';

export interface Trade {
  readonly symbol: string;
  /** float64, finite */
  readonly price: number;
  /** integer >= 0 */
  readonly size: number;
  /** int64 nanoseconds of event time */
  readonly timestampNs: bigint;
  /** e.g. "XNAS" */
  readonly venue: string;
}

export const TRADE_SCHEMA: Schema = defineSchema({
  name: 'ripple.trade',
  version: 1,
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'price', type: 'float64' },
    { name: 'size', type: 'int' },
    { name: 'timestampNs', type: 'timestamp_ns' },
    { name: 'venue', type: 'string' },
  ],
});

const MIN_TRADE_BYTES = 26;

/** Appends one trade payload. Validates first: on an invalid trade nothing is written. */
export function writeTrade(w: ByteWriter, t: Trade): void {
  const { price, size, timestampNs, symbol, venue } = t;
  checkPriceAndSize(price, size);
  if (typeof timestampNs !== 'bigint' || timestampNs < INT64_MIN || timestampNs > INT64_MAX) {
    throw new InvalidValueError('trade.timestampNs', 'not an int64 bigint');
  }
  checkNames(symbol, venue);
  const start = w.pos;
  w.f64(price);
  w.i64(timestampNs);
  w.u53(size);
  if (w.str(symbol, 1, 255) < 0) {
    w.pos = start;
    throw new InvalidValueError('trade.symbol', 'longer than 255 UTF-8 bytes or not well-formed');
  }
  if (w.str(venue, 1, 255) < 0) {
    w.pos = start;
    throw new InvalidValueError('trade.venue', 'longer than 255 UTF-8 bytes or not well-formed');
  }
}

/**
 * Decodes the trade payload that must fill exactly `b[start, end)`.
 * `base` is added to offsets in errors (the payload's offset in the input).
 */
export function readTrade(b: Uint8Array, start: number, end: number, base = 0): Trade {
  const venueAt = checkTradeAt(b, start, end, base);
  return {
    symbol: utf8(b, start + 25, venueAt),
    price: getF64(b, start),
    size: getU53(b, start + 16),
    timestampNs: getI64(b, start + 8),
    venue: utf8(b, venueAt + 1, end),
  };
}

/** Largest trade payload: fixed part and two strings of 255 bytes. */
const MAX_TRADE_BYTES = MIN_TRADE_BYTES + 255 + 255;
const slab = new SlabWriter();

/**
 * The bare payload (no envelope). The result is a view into a shared slab
 * that is never overwritten (see SlabWriter); `slice()` it to retain it long.
 */
export function encodeTradePayload(t: Trade): Uint8Array {
  const w = slab;
  w.begin(MAX_TRADE_BYTES);
  try {
    writeTrade(w, t);
  } catch (e) {
    w.abandon();
    throw e;
  }
  return w.take();
}

export function decodeTradePayload(bytes: Uint8Array): Trade {
  return readTrade(bytes, 0, bytes.length);
}

export interface EncodeOptions {
  readonly sequence: number;
  readonly flags?: number;
}

/** One trade in a `Trade` frame (event time = the trade's); a slab view like `encodeTradePayload`. */
export function encodeTrade(t: Trade, options: EncodeOptions): Uint8Array {
  const w = slab;
  w.begin(MAX_TRADE_BYTES + FRAME_OVERHEAD);
  try {
    const lengthAt = writeHeader(w, {
      type: MessageType.Trade,
      flags: options.flags ?? 0,
      sequence: options.sequence,
      eventTimeNs: typeof t?.timestampNs === 'bigint' ? t.timestampNs : 0n,
      fingerprint: TRADE_SCHEMA.fingerprint,
    });
    writeTrade(w, t);
    finishFrame(w, w.start, lengthAt);
  } catch (e) {
    w.abandon();
    throw e;
  }
  return w.take();
}

function checkTradeFrame(f: Frame, type: MessageType): void {
  if (f.type !== type) throw new UnexpectedMessageError(`expected message type ${type}, got ${f.type}`, 5);
  if (f.fingerprint !== TRADE_SCHEMA.fingerprint) throw new UnknownSchemaError(f.fingerprint, 24);
}

const FP_LO = Number(TRADE_SCHEMA.fingerprint & 0xffffffffn);
const FP_HI = Number(TRADE_SCHEMA.fingerprint >> 32n);

/** Decodes a buffer holding exactly one `Trade` frame (header read in place: no Frame object). */
export function decodeTrade(bytes: Uint8Array, options?: DecodeFrameOptions): Trade {
  const total = verifyFrame(bytes, 0, options);
  if (total !== bytes.length) {
    throw new BadLengthError('frame (bytes after the CRC)', bytes.length, total, total);
  }
  const type = bytes[5]!;
  if (type !== MessageType.Trade) {
    throw new UnexpectedMessageError(`expected message type ${MessageType.Trade}, got ${type}`, 5);
  }
  if (getU32(bytes, 24) !== FP_LO || getU32(bytes, 28) !== FP_HI)
    throw new UnknownSchemaError(getU64(bytes, 24), 24);
  const t = readTrade(bytes, HEADER_BYTES, total - TRAILER_BYTES);
  // same bits as the header's event time <=> same int64
  for (let i = 0; i < 8; i++) {
    if (bytes[16 + i] !== bytes[HEADER_BYTES + 8 + i]) {
      throw new MalformedPayloadError('frame event time differs from the trade timestamp', 16);
    }
  }
  return t;
}

/** Builds `TradeBatch` frames; the default frame event time is the max trade timestamp. */
export class TradeBatchEncoder extends BatchEncoder<Trade> {
  constructor(initialBytes?: number) {
    super(MessageType.TradeBatch, TRADE_SCHEMA.fingerprint, writeTrade, (t) => t.timestampNs, initialBytes);
  }
}

/** Decodes a buffer holding exactly one `TradeBatch` frame into its trades. */
export function decodeTradeBatch(bytes: Uint8Array, options?: DecodeFrameOptions): Trade[] {
  const f = decodeFrame(bytes, options);
  checkTradeFrame(f, MessageType.TradeBatch);
  const out: Trade[] = [];
  forEachRecord(f, MessageType.TradeBatch, (p, s, e) => {
    out.push(readTrade(p, s, e, 36));
  });
  return out;
}
