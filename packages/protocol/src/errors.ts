/**
 * Typed errors of the protocol package. Every failure mode has its own class
 * with a stable `code`, typed fields and a `retryable` flag; callers branch on
 * `code`/`retryable`, never on message text. Decoders throw only these (a
 * decoder that throws anything else has a bug: the fuzz suite checks it).
 */

export type ProtocolErrorCode =
  | 'PROTO_BAD_MAGIC'
  | 'PROTO_UNSUPPORTED_VERSION'
  | 'PROTO_UNKNOWN_MESSAGE_TYPE'
  | 'PROTO_BAD_FLAGS'
  | 'PROTO_BAD_LENGTH'
  | 'PROTO_TRUNCATED'
  | 'PROTO_CRC_MISMATCH'
  | 'PROTO_UNKNOWN_SCHEMA'
  | 'PROTO_UNEXPECTED_MESSAGE'
  | 'PROTO_MALFORMED_PAYLOAD'
  | 'PROTO_VALUE_OUT_OF_RANGE'
  | 'PROTO_INVALID_VALUE'
  | 'PROTO_INVALID_SCHEMA'
  | 'PROTO_SCHEMA_INCOMPATIBLE'
  | 'PROTO_SCHEMA_VIOLATION'
  | 'PROTO_INVALID_SUBJECT_TOKEN'
  | 'PROTO_INVALID_SEQUENCE'
  | 'CTRL_MALFORMED'
  | 'CTRL_UNKNOWN_TYPE'
  | 'CTRL_UNSUPPORTED_VERSION'
  | 'CTRL_INVALID_FIELD'
  | 'CTRL_STALE_EPOCH'
  | 'CTRL_TOO_LARGE'
  | 'CKPT_BAD_HEADER'
  | 'CKPT_UNSUPPORTED_VERSION'
  | 'CKPT_BAD_LENGTH'
  | 'CKPT_CRC_MISMATCH'
  | 'CKPT_TOO_LARGE'
  | 'CKPT_MALFORMED'
  | 'CKPT_INVALID_FIELD'
  | 'CKPT_BAD_CHAIN';

import { RippleError } from '@ripple/core';

export abstract class ProtocolError extends RippleError {
  abstract override readonly code: ProtocolErrorCode;
  /** true when the same input can succeed later (e.g. once a schema handshake arrives). */
  abstract override readonly retryable: boolean;
  override name = 'ProtocolError';
}

/** Base of the errors a decoder raises for bytes it refuses; `offset` is where it stopped. */
export abstract class DecodeError extends ProtocolError {
  readonly offset: number;
  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

export class BadMagicError extends DecodeError {
  readonly code = 'PROTO_BAD_MAGIC';
  readonly retryable = false;
  constructor(offset: number) {
    super('frame does not start with the magic "RIPP"', offset);
    this.name = 'BadMagicError';
  }
}

export class UnsupportedVersionError extends DecodeError {
  readonly code = 'PROTO_UNSUPPORTED_VERSION';
  readonly retryable = false;
  readonly version: number;
  readonly supported: readonly number[];
  constructor(version: number, supported: readonly number[], offset: number) {
    super(`frame version ${version} is not supported (supported: ${supported.join(', ')})`, offset);
    this.name = 'UnsupportedVersionError';
    this.version = version;
    this.supported = supported;
  }
}

export class UnknownMessageTypeError extends DecodeError {
  readonly code = 'PROTO_UNKNOWN_MESSAGE_TYPE';
  readonly retryable = false;
  readonly messageType: number;
  constructor(messageType: number, offset: number) {
    super(`unknown message type ${messageType}`, offset);
    this.name = 'UnknownMessageTypeError';
    this.messageType = messageType;
  }
}

export class BadFlagsError extends DecodeError {
  readonly code = 'PROTO_BAD_FLAGS';
  readonly retryable = false;
  readonly flags: number;
  constructor(flags: number, offset: number) {
    super(`reserved flag bits set: 0x${flags.toString(16)}`, offset);
    this.name = 'BadFlagsError';
    this.flags = flags;
  }
}

/** A declared length is impossible: above the limit, or inconsistent with the bytes present. */
export class BadLengthError extends DecodeError {
  readonly code = 'PROTO_BAD_LENGTH';
  readonly retryable = false;
  readonly declared: number;
  readonly limit: number;
  constructor(what: string, declared: number, limit: number, offset: number) {
    super(`${what}: declared length ${declared} exceeds the limit ${limit}`, offset);
    this.name = 'BadLengthError';
    this.declared = declared;
    this.limit = limit;
  }
}

/** The input ends before the structure it announces does. */
export class TruncatedError extends DecodeError {
  readonly code = 'PROTO_TRUNCATED';
  readonly retryable = false;
  readonly needed: number;
  readonly available: number;
  constructor(what: string, needed: number, available: number, offset: number) {
    super(`truncated ${what}: needs ${needed} byte(s), ${available} available`, offset);
    this.name = 'TruncatedError';
    this.needed = needed;
    this.available = available;
  }
}

export class CrcMismatchError extends DecodeError {
  readonly code = 'PROTO_CRC_MISMATCH';
  readonly retryable = false;
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, offset: number) {
    super(
      `CRC-32C mismatch: frame says 0x${expected.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')}`,
      offset,
    );
    this.name = 'CrcMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** The frame names a schema fingerprint the receiver does not know (yet: retryable after a handshake). */
export class UnknownSchemaError extends DecodeError {
  readonly code = 'PROTO_UNKNOWN_SCHEMA';
  readonly retryable = true;
  readonly fingerprint: bigint;
  constructor(fingerprint: bigint, offset: number) {
    super(`unknown schema fingerprint ${formatFingerprint(fingerprint)}`, offset);
    this.name = 'UnknownSchemaError';
    this.fingerprint = fingerprint;
  }
}

/** A valid frame of another type or schema than the decoder was asked to read. */
export class UnexpectedMessageError extends DecodeError {
  readonly code = 'PROTO_UNEXPECTED_MESSAGE';
  readonly retryable = false;
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = 'UnexpectedMessageError';
  }
}

/** Payload bytes that do not follow the grammar: unknown tag, bad UTF-8, trailing bytes, too deep. */
export class MalformedPayloadError extends DecodeError {
  readonly code = 'PROTO_MALFORMED_PAYLOAD';
  readonly retryable = false;
  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, offset, options);
    this.name = 'MalformedPayloadError';
  }
}

/** A well-formed field whose value is outside its domain (e.g. a size above 2^53, a NaN price). */
export class ValueOutOfRangeError extends DecodeError {
  readonly code = 'PROTO_VALUE_OUT_OF_RANGE';
  readonly retryable = false;
  readonly field: string;
  constructor(field: string, detail: string, offset: number) {
    super(`${field} out of range: ${detail}`, offset);
    this.name = 'ValueOutOfRangeError';
    this.field = field;
  }
}

/** An encoder was given a value it cannot represent faithfully. Nothing was written. */
export class InvalidValueError extends ProtocolError {
  readonly code = 'PROTO_INVALID_VALUE';
  readonly retryable = false;
  readonly path: string;
  constructor(path: string, detail: string) {
    super(`cannot encode ${path}: ${detail}`);
    this.name = 'InvalidValueError';
    this.path = path;
  }
}

export class InvalidSchemaError extends ProtocolError {
  readonly code = 'PROTO_INVALID_SCHEMA';
  readonly retryable = false;
  readonly path: string;
  constructor(path: string, detail: string) {
    super(`invalid schema at ${path}: ${detail}`);
    this.name = 'InvalidSchemaError';
    this.path = path;
  }
}

/** One reason why data written with `writer` cannot be read as `reader`. */
export interface CompatibilityIssue {
  /** dotted path of the field, '' for the schema itself */
  readonly path: string;
  readonly rule:
    | 'name_differs'
    | 'required_field_added'
    | 'type_changed'
    | 'optional_became_required'
    | 'same_version_differs';
  readonly detail: string;
}

export class SchemaIncompatibleError extends ProtocolError {
  readonly code = 'PROTO_SCHEMA_INCOMPATIBLE';
  readonly retryable = false;
  readonly reader: string;
  readonly writer: string;
  readonly issues: readonly CompatibilityIssue[];
  constructor(reader: string, writer: string, issues: readonly CompatibilityIssue[]) {
    super(
      `data written with schema ${writer} cannot be read as ${reader}: ${issues
        .map((i) => `${i.path || '<schema>'}: ${i.detail}`)
        .join('; ')}`,
    );
    this.name = 'SchemaIncompatibleError';
    this.reader = reader;
    this.writer = writer;
    this.issues = issues;
  }
}

/** A value does not conform to the schema that claims to describe it. */
export class SchemaViolationError extends ProtocolError {
  readonly code = 'PROTO_SCHEMA_VIOLATION';
  readonly retryable = false;
  readonly path: string;
  constructor(schema: string, path: string, detail: string) {
    super(`value does not conform to schema ${schema} at ${path || '<root>'}: ${detail}`);
    this.name = 'SchemaViolationError';
    this.path = path;
  }
}

export class InvalidSubjectTokenError extends ProtocolError {
  readonly code = 'PROTO_INVALID_SUBJECT_TOKEN';
  readonly retryable = false;
  readonly token: string;
  constructor(what: string, token: string) {
    super(
      `invalid NATS subject token for ${what}: ${JSON.stringify(token)} (allowed: [A-Za-z0-9_-], 1..64 chars)`,
    );
    this.name = 'InvalidSubjectTokenError';
    this.token = token;
  }
}

export class InvalidSequenceError extends ProtocolError {
  readonly code = 'PROTO_INVALID_SEQUENCE';
  readonly retryable = false;
  readonly sequence: number;
  constructor(sequence: number) {
    super(`sequence numbers are integers in [0, 2^53-1]; got ${sequence}`);
    this.name = 'InvalidSequenceError';
    this.sequence = sequence;
  }
}

/**
 * A control-plane message refused at the boundary. `code` is the reason the
 * receiver logs and counts (one counter label per code).
 */
export abstract class ControlMessageError extends ProtocolError {
  /** the message `type` when it could be read, else undefined */
  readonly messageType: string | undefined;
  constructor(message: string, messageType: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.messageType = messageType;
  }
}

export class MalformedControlMessageError extends ControlMessageError {
  readonly code = 'CTRL_MALFORMED';
  readonly retryable = false;
  constructor(detail: string, options?: ErrorOptions) {
    super(`malformed control message: ${detail}`, undefined, options);
    this.name = 'MalformedControlMessageError';
  }
}

export class UnknownControlMessageTypeError extends ControlMessageError {
  readonly code = 'CTRL_UNKNOWN_TYPE';
  readonly retryable = false;
  constructor(type: string) {
    super(`unknown control message type ${JSON.stringify(type)}`, type);
    this.name = 'UnknownControlMessageTypeError';
  }
}

export class UnsupportedControlVersionError extends ControlMessageError {
  readonly code = 'CTRL_UNSUPPORTED_VERSION';
  readonly retryable = false;
  readonly version: unknown;
  constructor(type: string, version: unknown) {
    super(`control message ${type}: unsupported version ${JSON.stringify(version)}`, type);
    this.name = 'UnsupportedControlVersionError';
    this.version = version;
  }
}

export class InvalidControlFieldError extends ControlMessageError {
  readonly code = 'CTRL_INVALID_FIELD';
  readonly retryable = false;
  readonly field: string;
  constructor(type: string, field: string, detail: string) {
    super(`control message ${type}: field ${field} ${detail}`, type);
    this.name = 'InvalidControlFieldError';
    this.field = field;
  }
}

/** The message carries an epoch older than the receiver's: its sender is fenced. */
export class StaleEpochError extends ControlMessageError {
  readonly code = 'CTRL_STALE_EPOCH';
  readonly retryable = false;
  readonly epoch: number;
  readonly currentEpoch: number;
  constructor(type: string, epoch: number, currentEpoch: number) {
    super(`control message ${type}: stale epoch ${epoch} < current ${currentEpoch}`, type);
    this.name = 'StaleEpochError';
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }
}

export class ControlMessageTooLargeError extends ControlMessageError {
  readonly code = 'CTRL_TOO_LARGE';
  readonly retryable = false;
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(`control message of ${size} bytes exceeds the limit of ${limit}`, undefined);
    this.name = 'ControlMessageTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** 16 lowercase hex digits. */
export function formatFingerprint(fp: bigint): string {
  return fp.toString(16).padStart(16, '0');
}
