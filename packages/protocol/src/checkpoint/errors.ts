/**
 * Typed refusals of the checkpoint formats (manifests, restore messages,
 * snapshot chains). Same contract as the rest of the package: one class per
 * failure mode, a stable `code`, `retryable` false (the same bytes never
 * become valid later), and decoders throw nothing else.
 */
import { ProtocolError } from '../errors.ts';

/** What was being read: names the format in messages and metrics. */
export type CheckpointDocument = 'manifest' | 'restore_request' | 'restore_reply' | 'chain';

export abstract class CheckpointFormatError extends ProtocolError {
  readonly document: CheckpointDocument;
  readonly retryable = false;
  constructor(document: CheckpointDocument, message: string, options?: ErrorOptions) {
    super(`${document}: ${message}`, options);
    this.document = document;
  }
}

/** The bytes do not start with the manifest header line. */
export class ManifestHeaderError extends CheckpointFormatError {
  readonly code = 'CKPT_BAD_HEADER';
  constructor(detail: string) {
    super('manifest', `bad header: ${detail}`);
    this.name = 'ManifestHeaderError';
  }
}

export class ManifestVersionError extends CheckpointFormatError {
  readonly code = 'CKPT_UNSUPPORTED_VERSION';
  readonly version: string;
  constructor(version: string, supported: readonly number[]) {
    super(
      'manifest',
      `version ${JSON.stringify(version)} is not supported (supported: ${supported.join(', ')})`,
    );
    this.name = 'ManifestVersionError';
    this.version = version;
  }
}

/** The body is shorter or longer than the header's declared length (truncated or extended object). */
export class ManifestLengthError extends CheckpointFormatError {
  readonly code = 'CKPT_BAD_LENGTH';
  readonly declared: number;
  readonly actual: number;
  constructor(declared: number, actual: number) {
    super('manifest', `body is ${actual} bytes, header declares ${declared}`);
    this.name = 'ManifestLengthError';
    this.declared = declared;
    this.actual = actual;
  }
}

export class ManifestCrcError extends CheckpointFormatError {
  readonly code = 'CKPT_CRC_MISMATCH';
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super(
      'manifest',
      `CRC-32C mismatch: header ${expected.toString(16).padStart(8, '0')}, body ${actual.toString(16).padStart(8, '0')}`,
    );
    this.name = 'ManifestCrcError';
    this.expected = expected;
    this.actual = actual;
  }
}

export class CheckpointDocumentTooLargeError extends CheckpointFormatError {
  readonly code = 'CKPT_TOO_LARGE';
  readonly size: number;
  readonly limit: number;
  constructor(document: CheckpointDocument, size: number, limit: number) {
    super(document, `${size} bytes exceeds the limit of ${limit}`);
    this.name = 'CheckpointDocumentTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** Not UTF-8 JSON, or not a JSON object. */
export class MalformedCheckpointDocumentError extends CheckpointFormatError {
  readonly code = 'CKPT_MALFORMED';
  constructor(document: CheckpointDocument, detail: string, options?: ErrorOptions) {
    super(document, `malformed: ${detail}`, options);
    this.name = 'MalformedCheckpointDocumentError';
  }
}

/** A field is missing, of the wrong type, out of range, or breaks an invariant; `field` is its path. */
export class InvalidCheckpointFieldError extends CheckpointFormatError {
  readonly code = 'CKPT_INVALID_FIELD';
  readonly field: string;
  constructor(document: CheckpointDocument, field: string, detail: string) {
    super(document, `field ${field} ${detail}`);
    this.name = 'InvalidCheckpointFieldError';
    this.field = field;
  }
}

/** A snapshot chain that cannot be restored: no full base, a full object mid-chain, a repeated key. */
export class InvalidSnapshotChainError extends CheckpointFormatError {
  readonly code = 'CKPT_BAD_CHAIN';
  constructor(detail: string) {
    super('chain', detail);
    this.name = 'InvalidSnapshotChainError';
  }
}
