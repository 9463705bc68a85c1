/**
 * The envelope around every data-plane frame (version 1). Little-endian.
 *
 * ```
 * offset size field
 *  0     4    magic "RIPP" (0x52 0x49 0x50 0x50)
 *  4     1    version (1)
 *  5     1    message type (MessageType)
 *  6     2    flags (FrameFlags; reserved bits must be 0)
 *  8     8    sequence number, u64, <= 2^53-1 (per sender)
 * 16     8    event-time timestamp, i64 nanoseconds
 * 24     8    schema fingerprint, u64 (see schema.ts)
 * 32     4    payload length n, u32, <= maxPayloadBytes
 * 36     n    payload
 * 36+n   4    CRC-32C of bytes [0, 36+n)
 * ```
 * 40 bytes of overhead per frame (the reference's layout has 63: its
 * fingerprint is 32 bytes). Any change to this layout is a version bump and
 * breaks `test/golden.test.ts` on purpose.
 *
 * Decoding checks, in order and before looking at the payload: length of the
 * header, magic, version, type, flags, declared length (limit, then presence),
 * CRC, then the sequence range. It never allocates from a declared length:
 * the payload is a view into the input.
 */
import { ByteWriter, getI64, getU32, getU53, getU64, INT64_MAX, INT64_MIN } from './bytes.ts';
import { crc32c } from './crc32c.ts';
import {
  BadFlagsError,
  BadLengthError,
  BadMagicError,
  CrcMismatchError,
  InvalidSequenceError,
  InvalidValueError,
  TruncatedError,
  UnknownMessageTypeError,
  UnsupportedVersionError,
  ValueOutOfRangeError,
} from './errors.ts';

export const MAGIC = 0x52495050;
export const FRAME_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];
export const HEADER_BYTES = 36;
export const TRAILER_BYTES = 4;
export const FRAME_OVERHEAD = HEADER_BYTES + TRAILER_BYTES;
/** Default payload limit: 16 MiB (Kafka's default record limit is 1 MiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** Message types of version 1 (a const object, not an enum: erasable syntax). */
export const MessageType = {
  /** one trade */
  Trade: 1,
  /** many trades in one frame (one Kafka record value) */
  TradeBatch: 2,
  /** many output records (key, partition, sequence, window, delta) */
  DeltaBatch: 3,
  /** a partition snapshot with its schema */
  Snapshot: 4,
  /** a schema announcement (handshake): payload is the schema's canonical bytes */
  Schema: 5,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
const MAX_TYPE = 5;

export const FrameFlags = {
  /** the frame was produced while replaying input after a restore */
  Replay: 1,
  /** the producer will send no more frames on this stream */
  EndOfStream: 2,
} as const;
const KNOWN_FLAGS = FrameFlags.Replay | FrameFlags.EndOfStream;

export interface FrameHeader {
  readonly type: MessageType;
  readonly flags: number;
  /** per-sender sequence number, safe integer >= 0 */
  readonly sequence: number;
  /** event time of the frame in ns (for a batch: the producer's choice, e.g. the max) */
  readonly eventTimeNs: bigint;
  readonly fingerprint: bigint;
}

export interface Frame extends FrameHeader {
  readonly version: number;
  /** a view into the decoded input (no copy) */
  readonly payload: Uint8Array;
  /** total bytes of the frame including header and trailer */
  readonly byteLength: number;
}

export interface DecodeFrameOptions {
  /** Refuse payloads above this many bytes (default 16 MiB). */
  readonly maxPayloadBytes?: number;
}

/** Writes the 36-byte header; returns the offset of the payload length to patch. */
export function writeHeader(w: ByteWriter, h: FrameHeader): number {
  checkHeader(h);
  w.ensure(HEADER_BYTES);
  const b = w.buf;
  const p = w.pos;
  b[p] = 0x52;
  b[p + 1] = 0x49;
  b[p + 2] = 0x50;
  b[p + 3] = 0x50;
  b[p + 4] = FRAME_VERSION;
  b[p + 5] = h.type;
  b[p + 6] = h.flags;
  b[p + 7] = h.flags >>> 8;
  w.pos = p + 8;
  w.u53(h.sequence);
  w.i64(h.eventTimeNs);
  w.u64(h.fingerprint);
  return w.reserveU32();
}

/** Patches the payload length and appends the CRC trailer of the frame starting at `frameStart`. */
export function finishFrame(w: ByteWriter, frameStart: number, lengthAt: number): void {
  const payloadLength = w.pos - lengthAt - 4;
  w.patchU32(lengthAt, payloadLength);
  const crc = crc32c(w.buf, frameStart, w.pos);
  w.u32(crc);
}

/** Encodes one frame around an already encoded payload (owned copy). */
export function encodeFrame(
  h: FrameHeader,
  payload: Uint8Array,
  w: ByteWriter = new ByteWriter(),
): Uint8Array {
  const start = w.pos;
  const at = writeHeader(w, h);
  w.raw(payload);
  finishFrame(w, start, at);
  return w.buf.slice(start, w.pos);
}

function checkHeader(h: FrameHeader): void {
  if (!(h.type >= 1 && h.type <= MAX_TYPE && Number.isInteger(h.type))) {
    throw new InvalidValueError('frame.type', `unknown message type ${h.type}`);
  }
  if (!Number.isInteger(h.flags) || (h.flags & ~KNOWN_FLAGS) !== 0 || h.flags < 0) {
    throw new InvalidValueError('frame.flags', `unknown flag bits in ${h.flags}`);
  }
  if (!Number.isSafeInteger(h.sequence) || h.sequence < 0) throw new InvalidSequenceError(h.sequence);
  if (typeof h.eventTimeNs !== 'bigint' || h.eventTimeNs < INT64_MIN || h.eventTimeNs > INT64_MAX) {
    throw new InvalidValueError('frame.eventTimeNs', 'not an int64 bigint');
  }
  if (typeof h.fingerprint !== 'bigint' || h.fingerprint < 0n || h.fingerprint >= 1n << 64n) {
    throw new InvalidValueError('frame.fingerprint', 'not a u64 bigint');
  }
}

/**
 * Decodes the frame that starts at `offset` of `bytes` (more bytes may
 * follow: see `byteLength`). Verifies everything listed in the module comment.
 */
export function readFrame(bytes: Uint8Array, offset = 0, options?: DecodeFrameOptions): Frame {
  const total = verifyFrame(bytes, offset, options);
  return {
    version: FRAME_VERSION,
    type: bytes[offset + 5] as MessageType,
    flags: bytes[offset + 6]! | (bytes[offset + 7]! << 8),
    sequence: getU53(bytes, offset + 8),
    eventTimeNs: getI64(bytes, offset + 16),
    fingerprint: getU64(bytes, offset + 24),
    payload: bytes.subarray(offset + HEADER_BYTES, offset + total - TRAILER_BYTES),
    byteLength: total,
  };
}

/**
 * Verifies the frame at `offset` (every check of `readFrame`) without
 * building anything; returns its total byte length. For hot paths that read
 * the header fields in place.
 */
export function verifyFrame(bytes: Uint8Array, offset: number, options?: DecodeFrameOptions): number {
  const available = bytes.length - offset;
  if (available < HEADER_BYTES) {
    // report a wrong magic before a short header when the magic is already visible as wrong
    checkMagicPrefix(bytes, offset, available);
    throw new TruncatedError('frame header', HEADER_BYTES, Math.max(0, available), offset);
  }
  if (getU32(bytes, offset) !== 0x50504952) throw new BadMagicError(offset);
  const version = bytes[offset + 4]!;
  if (version !== FRAME_VERSION) throw new UnsupportedVersionError(version, SUPPORTED_VERSIONS, offset + 4);
  const type = bytes[offset + 5]!;
  if (type < 1 || type > MAX_TYPE) throw new UnknownMessageTypeError(type, offset + 5);
  const flags = bytes[offset + 6]! | (bytes[offset + 7]! << 8);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new BadFlagsError(flags, offset + 6);
  const length = getU32(bytes, offset + 32);
  const max = options?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (length > max) throw new BadLengthError('frame payload', length, max, offset + 32);
  const total = HEADER_BYTES + length + TRAILER_BYTES;
  if (available < total) throw new TruncatedError('frame', total, available, offset);
  const crcAt = offset + HEADER_BYTES + length;
  const expected = getU32(bytes, crcAt);
  const actual = crc32c(bytes, offset, crcAt);
  if (expected !== actual) throw new CrcMismatchError(expected, actual, crcAt);
  if (getU53(bytes, offset + 8) < 0)
    throw new ValueOutOfRangeError('frame.sequence', 'above 2^53-1', offset + 8);
  return total;
}

/** Decodes a buffer that must hold exactly one frame (trailing bytes are a BadLengthError). */
export function decodeFrame(bytes: Uint8Array, options?: DecodeFrameOptions): Frame {
  const f = readFrame(bytes, 0, options);
  if (f.byteLength !== bytes.length) {
    throw new BadLengthError('frame (bytes after the CRC)', bytes.length, f.byteLength, f.byteLength);
  }
  return f;
}

function checkMagicPrefix(bytes: Uint8Array, offset: number, available: number): void {
  const magic = [0x52, 0x49, 0x50, 0x50];
  for (let i = 0; i < Math.min(4, available); i++) {
    if (bytes[offset + i] !== magic[i]) throw new BadMagicError(offset);
  }
}
