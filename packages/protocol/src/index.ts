/**
 * @ripple/protocol — everything that crosses a process boundary, defined
 * once and validated where it enters. No I/O.
 *
 * Data plane (Kafka record values, snapshots):
 * - `envelope.ts`: the 40-byte-overhead frame (magic "RIPP", version, type,
 *   flags, sequence, event time, 64-bit schema fingerprint, length, payload,
 *   CRC-32C). `readFrame`/`decodeFrame` verify everything before the payload
 *   is looked at.
 * - codecs: trades (`encodeTrade`, `TradeBatchEncoder`, `decodeTradeBatch`;
 *   without an allocation per trade: `writeTradeAt` into the caller's buffer,
 *   `readTradeInto` a reused `TradeSlot`, event time as two 32-bit halves),
 *   output records with deltas (`DeltaBatchEncoder`, `decodeDeltaBatch`),
 *   partition snapshots (`encodeSnapshot`, `decodeSnapshot`), schema
 *   handshakes (`encodeSchemaFrame`). Batch frames are length-prefixed
 *   records under one CRC: `splitBatch` routes records without decoding them.
 * - schemas (`defineSchema`, `checkCompatibility`, `resolveValue`,
 *   `SchemaRegistry`): the compatibility rules are in schema.ts.
 * - transport: `SequenceCounter` per sender, `ReceiveBuffer` per receiver
 *   (duplicates dropped, gaps reported, reordering within a bound,
 *   backpressure 0..1).
 *
 * Control plane (NATS): typed, versioned messages (`decodeControlMessage`,
 * `tryDecodeControlMessage` for log-and-count receivers, stale epochs
 * fenced), the subject hierarchy (`clusterSubjects`), and W3C trace context
 * helpers for NATS and Kafka headers.
 *
 * Checkpoints (checkpoint/): the manifest that makes a set of partition
 * snapshots one consistent cluster checkpoint (`encodeManifest`,
 * `decodeManifest`: text header with length + CRC-32C, validated JSON body),
 * snapshot chains (full base + increments; `nextSnapshotKind`,
 * `extendChain`, the keyed fold `diffKeyed`/`restoreKeyed`), checkpoint ids,
 * the object layout in the bucket, and the restore lookup messages.
 *
 * Errors: every refusal is a `ProtocolError` subclass with a stable `code`
 * (errors.ts). Decoders never throw anything else, never allocate from a
 * declared length, and never return a value the bytes did not faithfully
 * encode; the fuzz suite holds them to it. Format changes are version bumps:
 * the golden tests pin the bytes.
 */

export { BatchEncoder, type BatchFinishOptions, splitBatch } from './batch.ts';
export {
  type CheckpointIdParts,
  formatCheckpointId,
  MAX_CHECKPOINT_SEQ,
  parseCheckpointId,
} from './checkpoint/checkpoint-id.ts';
export {
  type CheckpointDocument,
  CheckpointDocumentTooLargeError,
  CheckpointFormatError,
  InvalidCheckpointFieldError,
  InvalidSnapshotChainError,
  MalformedCheckpointDocumentError,
  ManifestCrcError,
  ManifestHeaderError,
  ManifestLengthError,
  ManifestVersionError,
} from './checkpoint/errors.ts';
export {
  type CheckpointManifest,
  MANIFEST_VERSIONS,
  type PartitionCheckpoint,
  referencedKeys,
  SNAPSHOT_KINDS,
  type SnapshotKind,
  type SnapshotObjectRef,
  validateManifest,
} from './checkpoint/manifest.ts';
export {
  DEFAULT_MAX_MANIFEST_BYTES,
  type DecodeManifestOptions,
  decodeManifest,
  encodeManifest,
  MANIFEST_MAGIC,
  manifestJson,
} from './checkpoint/manifest-codec.ts';
export {
  type CheckpointLayout,
  checkpointLayout,
  type SnapshotKeyParts,
} from './checkpoint/object-layout.ts';
export {
  DEFAULT_MAX_RESTORE_MESSAGE_BYTES,
  decodeRestoreReply,
  decodeRestoreRequest,
  encodeRestoreReply,
  encodeRestoreRequest,
  RESTORE_STATUSES,
  type RestorePlanReply,
  type RestoreRequest,
  type RestoreStatus,
  type SkippedSnapshot,
} from './checkpoint/restore-messages.ts';
export {
  applyIncrement,
  type ChainPolicy,
  DEFAULT_CHAIN_POLICY,
  diffKeyed,
  extendChain,
  type KeyedIncrement,
  MAX_CHAIN_LENGTH,
  nextSnapshotKind,
  restoreKeyed,
  validateChain,
} from './checkpoint/snapshot-chain.ts';
export {
  CONTROL_REJECT_CODES,
  type ControlDecodeResult,
  DEFAULT_MAX_CONTROL_BYTES,
  type DecodeControlOptions,
  decodeControlMessage,
  encodeControlMessage,
  tryDecodeControlMessage,
  validateControlMessage,
} from './control/codec.ts';
export {
  type Assign,
  type AssignAck,
  type Assignment,
  type CheckpointAck,
  type CheckpointTrigger,
  CONTROL_MESSAGE_TYPES,
  type ControlMessage,
  type ControlMessageType,
  type GraphQuery,
  type GraphReply,
  type HandedOffPartition,
  type Heartbeat,
  type KafkaOffset,
  KEY_QUERY_STATUSES,
  type KeyQuery,
  type KeyQueryReply,
  type KeyQueryStatus,
  type LeaderLease,
  MAX_LOAD_REASONS,
  type OwnedPartition,
  type PartitionOwner,
  type PartitionStatus,
  type QueriedWindow,
  type RebalanceRecord,
  type Register,
  type Revoke,
  type RevokeAck,
  type StatusRequest,
  type StatusResponse,
  SUPPORTED_CONTROL_VERSIONS,
  WORKER_STATES,
  type WorkerLoad,
  type WorkerState,
  type WorkerStatus,
} from './control/messages.ts';
export {
  type ClusterSubjects,
  clusterSubjects,
  type ParsedSubject,
  parseSubject,
} from './control/subjects.ts';
export { crc32c, crc32cBackend, crc32cJs } from './crc32c.ts';
export {
  type DecodeDeltaOptions,
  type DecodedDeltaBatch,
  DeltaBatchEncoder,
  decodeDeltaBatch,
  type EventTimeWindow,
  type OutputRecord,
} from './delta-codec.ts';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  type DecodeFrameOptions,
  decodeFrame,
  encodeFrame,
  FRAME_OVERHEAD,
  FRAME_VERSION,
  type Frame,
  FrameFlags,
  type FrameHeader,
  HEADER_BYTES,
  MAGIC,
  MessageType,
  readFrame,
  SUPPORTED_VERSIONS,
} from './envelope.ts';
export {
  BadFlagsError,
  BadLengthError,
  BadMagicError,
  type CompatibilityIssue,
  ControlMessageError,
  ControlMessageTooLargeError,
  CrcMismatchError,
  DecodeError,
  formatFingerprint,
  InvalidControlFieldError,
  InvalidSchemaError,
  InvalidSequenceError,
  InvalidSubjectTokenError,
  InvalidValueError,
  MalformedControlMessageError,
  MalformedPayloadError,
  ProtocolError,
  type ProtocolErrorCode,
  SchemaIncompatibleError,
  SchemaViolationError,
  StaleEpochError,
  TruncatedError,
  UnexpectedMessageError,
  UnknownControlMessageTypeError,
  UnknownMessageTypeError,
  UnknownSchemaError,
  UnsupportedControlVersionError,
  UnsupportedVersionError,
  ValueOutOfRangeError,
} from './errors.ts';
export { decodeSchema, defineSchema } from './schema.ts';
export { canonicalBytes, fingerprintOf, fingerprintOfCanonical } from './schema-canonical.ts';
export { assertCompatible, type CompatibilityResult, checkCompatibility } from './schema-compat.ts';
export { decodeSchemaFrame, encodeSchemaFrame } from './schema-frame.ts';
export { SchemaRegistry } from './schema-registry.ts';
export type { FieldDef, FieldType, PrimitiveType, Schema, SchemaDef } from './schema-types.ts';
export { resolveValue, validateValue } from './schema-values.ts';
export {
  type DecodeSnapshotOptions,
  decodeSnapshot,
  encodeSnapshot,
  type InputOffset,
  type PartitionSnapshot,
  type RestoredSnapshot,
  type SnapshotLeaf,
} from './snapshot-codec.ts';
export {
  extractKafkaHeaders,
  extractNatsHeaders,
  extractTraceContext,
  formatTraceparent,
  injectKafkaHeaders,
  injectNatsHeaders,
  injectTraceContext,
  type KafkaHeaders,
  type NatsHeadersLike,
  parseTraceparent,
  TRACEPARENT,
  TRACESTATE,
  type TraceContext,
} from './trace-context.ts';
export {
  decodeTrade,
  decodeTradeBatch,
  decodeTradePayload,
  type EncodeOptions,
  encodeTrade,
  encodeTradePayload,
  TRADE_SCHEMA,
  type Trade,
  TradeBatchEncoder,
} from './trade-codec.ts';
export { readTradeInto, TradeSlot, writeTradeAt } from './trade-in-place.ts';
export {
  type OfferResult,
  ReceiveBuffer,
  type ReceiveBufferOptions,
  type ReceiveBufferStats,
  SequenceCounter,
} from './transport.ts';
export { type Delta, MAX_DEPTH, type PatchOp, type Value } from './value-codec.ts';
