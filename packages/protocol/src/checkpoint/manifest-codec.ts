/**
 * Manifest objects on disk / in the bucket:
 *
 * ```
 * RIPPLE-CHECKPOINT-MANIFEST/<version> length=<body bytes> crc32c=<8 hex>\n
 * <body: UTF-8 JSON of the manifest, int64 values as decimal strings>
 * ```
 * A text header so `aws s3 cp ... - | tail -n +2 | jq` works, with the
 * body's length and CRC-32C in it so a truncated, extended or bit-flipped
 * object is refused (`ManifestLengthError`, `ManifestCrcError`) before its
 * JSON is looked at. The body is validated field by field
 * (`validateManifest`). The golden test pins the bytes; a change is a
 * version bump.
 */
import { crc32c } from '../crc32c.ts';
import {
  CheckpointDocumentTooLargeError,
  MalformedCheckpointDocumentError,
  ManifestCrcError,
  ManifestHeaderError,
  ManifestLengthError,
  ManifestVersionError,
} from './errors.ts';
import { type CheckpointManifest, MANIFEST_VERSIONS, validateManifest } from './manifest.ts';

export const MANIFEST_MAGIC = 'RIPPLE-CHECKPOINT-MANIFEST/';
export const DEFAULT_MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_HEADER = 96;
const HEADER =
  /^RIPPLE-CHECKPOINT-MANIFEST\/([1-9][0-9]{0,2}) length=(0|[1-9][0-9]{0,9}) crc32c=([0-9a-f]{8})$/;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON text of a manifest (int64 as decimal strings); fields in declaration order. */
export function manifestJson(m: CheckpointManifest): string {
  return JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The bytes of a manifest object; validates the manifest first (the same checks as decoding). */
export function encodeManifest(m: CheckpointManifest): Uint8Array {
  const checked = validateManifest(JSON.parse(manifestJson(m)) as unknown);
  const body = utf8.encode(manifestJson(checked));
  const crc = crc32c(body).toString(16).padStart(8, '0');
  const header = utf8.encode(`${MANIFEST_MAGIC}1 length=${body.length} crc32c=${crc}\n`);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

export interface DecodeManifestOptions {
  readonly maxBytes?: number;
}

/** Decodes and validates a manifest object; throws only CheckpointFormatError subclasses. */
export function decodeManifest(bytes: Uint8Array, options?: DecodeManifestOptions): CheckpointManifest {
  const max = options?.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  if (bytes.length > max) throw new CheckpointDocumentTooLargeError('manifest', bytes.length, max);
  const nl = bytes.subarray(0, MAX_HEADER).indexOf(0x0a);
  if (nl < 0) throw new ManifestHeaderError(`no header line within ${MAX_HEADER} bytes`);
  let line: string;
  try {
    line = strictUtf8.decode(bytes.subarray(0, nl));
  } catch {
    throw new ManifestHeaderError('header is not UTF-8');
  }
  if (!line.startsWith(MANIFEST_MAGIC))
    throw new ManifestHeaderError(`does not start with ${MANIFEST_MAGIC}`);
  const m = HEADER.exec(line);
  if (m === null) {
    const version = line.slice(MANIFEST_MAGIC.length).split(' ')[0] ?? '';
    if (version !== '1' && /^[0-9]{1,3}$/.test(version))
      throw new ManifestVersionError(version, MANIFEST_VERSIONS);
    throw new ManifestHeaderError('not "<magic><version> length=<n> crc32c=<8 hex>"');
  }
  if (!MANIFEST_VERSIONS.includes(Number(m[1]))) throw new ManifestVersionError(m[1]!, MANIFEST_VERSIONS);
  const declared = Number(m[2]);
  const body = bytes.subarray(nl + 1);
  if (body.length !== declared) throw new ManifestLengthError(declared, body.length);
  const expected = Number.parseInt(m[3]!, 16);
  const actual = crc32c(body);
  if (actual !== expected) throw new ManifestCrcError(expected, actual);
  let raw: unknown;
  try {
    raw = JSON.parse(strictUtf8.decode(body));
  } catch (cause) {
    throw new MalformedCheckpointDocumentError('manifest', 'body is not UTF-8 JSON', { cause });
  }
  return validateManifest(raw);
}
