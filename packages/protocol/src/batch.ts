/**
 * Batch frames: many records in one envelope, i.e. one Kafka record value
 * with one CRC. Payload grammar:
 *
 * ```
 * batch = u32 count, (u32 length, record[length])*    no trailing bytes
 * ```
 * Length-prefixed records make a batch cheap to split (no record is decoded
 * to find the next one) and to verify (one CRC pass over the whole frame).
 */
import { ByteWriter, getU32 } from './bytes.ts';
import {
  type Frame,
  type FrameHeader,
  finishFrame,
  HEADER_BYTES,
  type MessageType,
  writeHeader,
} from './envelope.ts';
import { MalformedPayloadError, TruncatedError, UnexpectedMessageError } from './errors.ts';

export interface BatchFinishOptions {
  readonly sequence: number;
  readonly flags?: number;
  /** default: the encoder's own choice (the max event time it saw, or 0) */
  readonly eventTimeNs?: bigint;
}

/**
 * Accumulates records into one batch frame. Not thread-safe, reusable: after
 * `finish()` it starts empty again. Records are written straight into the
 * frame buffer (no copy at finish except the returned owned frame).
 */
export class BatchEncoder<T> {
  readonly #w: ByteWriter;
  readonly #type: MessageType;
  readonly #fingerprint: bigint;
  readonly #write: (w: ByteWriter, record: T) => void;
  readonly #eventTimeOf: (record: T) => bigint;
  #count = 0;
  #maxEventTime: bigint | undefined;

  /**
   * `eventTimeOf` gives a record's event time; the frame's default event time
   * is the max over its records (0 for an empty batch).
   */
  constructor(
    type: MessageType,
    fingerprint: bigint,
    write: (w: ByteWriter, record: T) => void,
    eventTimeOf: (record: T) => bigint,
    initialBytes = 64 * 1024,
  ) {
    this.#type = type;
    this.#fingerprint = fingerprint;
    this.#write = write;
    this.#eventTimeOf = eventTimeOf;
    this.#w = new ByteWriter(initialBytes);
    this.#start();
  }

  #start(): void {
    this.#w.reset();
    this.#w.ensure(HEADER_BYTES + 4);
    this.#w.pos = HEADER_BYTES + 4; // header and count are written by finish()
    this.#count = 0;
    this.#maxEventTime = undefined;
  }

  get count(): number {
    return this.#count;
  }

  /** Bytes the frame would have now (for size-bounded batching, e.g. Kafka's max record size). */
  get byteLength(): number {
    return this.#w.pos + 4;
  }

  /** Appends one record; on an invalid record nothing is appended and the error is rethrown. */
  add(record: T): void {
    const w = this.#w;
    const at = w.reserveU32();
    try {
      this.#write(w, record);
    } catch (e) {
      w.pos = at;
      throw e;
    }
    w.patchU32(at, w.pos - at - 4);
    this.#count++;
    const t = this.#eventTimeOf(record);
    if (this.#maxEventTime === undefined || t > this.#maxEventTime) this.#maxEventTime = t;
  }

  /** Finishes the frame (owned copy) and empties the encoder. */
  finish(options: BatchFinishOptions): Uint8Array {
    const w = this.#w;
    const end = w.pos;
    const header: FrameHeader = {
      type: this.#type,
      flags: options.flags ?? 0,
      sequence: options.sequence,
      eventTimeNs: options.eventTimeNs ?? this.#maxEventTime ?? 0n,
      fingerprint: this.#fingerprint,
    };
    w.pos = 0;
    const lengthAt = writeHeader(w, header);
    w.u32(this.#count);
    w.pos = end;
    finishFrame(w, 0, lengthAt);
    const out = w.copy();
    this.#start();
    return out;
  }

  /** Drops the records added since the last finish. */
  clear(): void {
    this.#start();
  }
}

/**
 * Calls `visit(payload, start, end)` for each record of a verified batch
 * frame (see `readFrame`). Checks the framing: count, lengths, no trailing
 * bytes. `offsetBase` is the offset of the payload in the original input, for
 * error offsets.
 */
export function forEachRecord(
  frame: Frame,
  type: MessageType,
  visit: (payload: Uint8Array, start: number, end: number, index: number) => void,
): number {
  if (frame.type !== type)
    throw new UnexpectedMessageError(`expected a frame of type ${type}, got ${frame.type}`, 5);
  const p = frame.payload;
  const end = p.length;
  if (end < 4) throw new TruncatedError('batch count', 4, end, HEADER_BYTES);
  const count = getU32(p, 0);
  if (count * 4 > end - 4) throw new TruncatedError('batch records', count * 4, end - 4, HEADER_BYTES);
  let pos = 4;
  for (let i = 0; i < count; i++) {
    if (end - pos < 4) throw new TruncatedError('batch record length', 4, end - pos, HEADER_BYTES + pos);
    const len = getU32(p, pos);
    pos += 4;
    if (len > end - pos) throw new TruncatedError(`batch record ${i}`, len, end - pos, HEADER_BYTES + pos);
    visit(p, pos, pos + len, i);
    pos += len;
  }
  if (pos !== end)
    throw new MalformedPayloadError(`${end - pos} trailing byte(s) after the batch`, HEADER_BYTES + pos);
  return count;
}

/** The records of a verified batch frame as views (no copy, nothing decoded). */
export function splitBatch(frame: Frame): Uint8Array[] {
  const out: Uint8Array[] = [];
  forEachRecord(frame, frame.type, (p, s, e) => out.push(p.subarray(s, e)));
  return out;
}
