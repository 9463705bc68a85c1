/**
 * Encoding and boundary validation of control-plane messages (see
 * messages.ts). `decodeControlMessage` throws a `ControlMessageError`;
 * `tryDecodeControlMessage` returns it, for receivers that log and count the
 * refusal by `error.code` and go on.
 */

import { INT64_MAX, INT64_MIN } from '@ripple/core';
import type { SnapshotObjectRef } from '../checkpoint/manifest.ts';
import {
  ControlMessageError,
  ControlMessageTooLargeError,
  InvalidControlFieldError,
  MalformedControlMessageError,
  StaleEpochError,
  UnknownControlMessageTypeError,
  UnsupportedControlVersionError,
} from '../errors.ts';
import {
  type ControlMessage,
  type ControlMessageType,
  type HandedOffPartition,
  type KafkaOffset,
  KEY_QUERY_STATUSES,
  type KeyQueryStatus,
  MAX_LOAD_REASONS,
  type QueriedWindow,
  SUPPORTED_CONTROL_VERSIONS,
  WORKER_STATES,
  type WorkerState,
} from './messages.ts';

/** NATS' default max_payload. */
export const DEFAULT_MAX_CONTROL_BYTES = 1024 * 1024;
const MAX_LIST = 65536;
const MAX_STRING = 1024;
const DECIMAL = /^-?(0|[1-9][0-9]{0,18})$/;

export interface DecodeControlOptions {
  /** refuse messages whose `epoch` is below this (fencing); default: no check */
  readonly currentEpoch?: number;
  readonly maxBytes?: number;
}

export type ControlDecodeResult =
  | { readonly ok: true; readonly message: ControlMessage }
  | { readonly ok: false; readonly error: ControlMessageError };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON bytes of a message; validates it first (the same checks as decoding). */
export function encodeControlMessage(message: ControlMessage): Uint8Array {
  const checked = validateControlMessage(JSON.parse(toJson(message)) as unknown);
  return encoder.encode(toJson(checked));
}

function toJson(message: ControlMessage): string {
  return JSON.stringify(message, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function decodeControlMessage(
  bytes: Uint8Array | string,
  options?: DecodeControlOptions,
): ControlMessage {
  const max = options?.maxBytes ?? DEFAULT_MAX_CONTROL_BYTES;
  const size = typeof bytes === 'string' ? bytes.length : bytes.byteLength;
  if (size > max) throw new ControlMessageTooLargeError(size, max);
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : decoder.decode(bytes));
  } catch (cause) {
    throw new MalformedControlMessageError('not UTF-8 JSON', { cause });
  }
  const message = validateControlMessage(raw);
  const current = options?.currentEpoch;
  if (current !== undefined && 'epoch' in message && message.epoch < current) {
    throw new StaleEpochError(message.type, message.epoch, current);
  }
  return message;
}

export function tryDecodeControlMessage(
  bytes: Uint8Array | string,
  options?: DecodeControlOptions,
): ControlDecodeResult {
  try {
    return { ok: true, message: decodeControlMessage(bytes, options) };
  } catch (error) {
    if (error instanceof ControlMessageError) return { ok: false, error };
    throw error;
  }
}

/** The reasons a control message can be refused (metric label values). */
export const CONTROL_REJECT_CODES = [
  'CTRL_MALFORMED',
  'CTRL_UNKNOWN_TYPE',
  'CTRL_UNSUPPORTED_VERSION',
  'CTRL_INVALID_FIELD',
  'CTRL_STALE_EPOCH',
  'CTRL_TOO_LARGE',
] as const;

/** Validates a parsed JSON value and returns the typed message (offsets as bigints). */
export function validateControlMessage(raw: unknown): ControlMessage {
  if (!isObject(raw)) throw new MalformedControlMessageError('not a JSON object');
  const type = raw.type;
  if (typeof type !== 'string') throw new MalformedControlMessageError('missing string field type');
  if (!Object.hasOwn(SUPPORTED_CONTROL_VERSIONS, type)) throw new UnknownControlMessageTypeError(type);
  const t = type as ControlMessageType;
  if (!SUPPORTED_CONTROL_VERSIONS[t].includes(raw.v as number))
    throw new UnsupportedControlVersionError(t, raw.v);
  const f = new Fields(t, raw);
  switch (t) {
    case 'register':
      return {
        type: t,
        v: 1,
        workerId: f.id('workerId'),
        incarnation: f.id('incarnation'),
        softwareVersion: f.str('softwareVersion'),
        rpcAddress: f.str('rpcAddress'),
        sentAtMs: f.time('sentAtMs'),
      };
    case 'heartbeat':
      return {
        type: t,
        v: 1,
        workerId: f.id('workerId'),
        incarnation: f.id('incarnation'),
        epoch: f.epoch(),
        state: f.state('state'),
        partitions: f.list('partitions', (x, p) => {
          const g = f.sub(x, p);
          const owned = {
            partition: g.partition('partition'),
            offset: g.int64('offset'),
            lag: g.count('lag'),
          };
          return g.raw.epoch === undefined ? owned : { ...owned, epoch: g.epoch() };
        }),
        load: ((g) => ({
          cpu: g.num('cpu'),
          eventsPerSec: g.num('eventsPerSec'),
          keys: g.count('keys'),
          heapBytes: g.count('heapBytes'),
          ...(g.raw.deadLetters === undefined ? {} : { deadLetters: g.reasonCounts('deadLetters') }),
          ...(g.raw.late === undefined ? {} : { late: g.count('late') }),
        }))(f.sub(raw.load, 'load')),
        sentAtMs: f.time('sentAtMs'),
      };
    case 'assignment': {
      const numPartitions = f.positive('numPartitions');
      const seen = new Set<number>();
      const owners = f.list('owners', (x, p) => {
        const g = f.sub(x, p);
        const partition = g.partition('partition');
        if (partition >= numPartitions)
          throw new InvalidControlFieldError(t, `${p}.partition`, 'is >= numPartitions');
        if (seen.has(partition)) throw new InvalidControlFieldError(t, `${p}.partition`, 'is assigned twice');
        seen.add(partition);
        return { partition, workerId: g.id('workerId') };
      });
      return { type: t, v: 1, epoch: f.epoch(), numPartitions, owners };
    }
    case 'revoke':
      return {
        ...rebalanceStep(f, t),
        partitions: f.partitions('partitions'),
        deadlineMs: f.time('deadlineMs'),
        ...(raw.fence === undefined ? {} : { fence: f.bool('fence') }),
      };
    case 'revoke_ack':
    case 'assign':
      return { ...rebalanceStep(f, t), partitions: f.list('partitions', (x, p) => handedOff(f, x, p)) };
    case 'assign_ack':
      return { ...rebalanceStep(f, t), partitions: f.partitions('partitions') };
    case 'checkpoint_trigger': {
      const base = {
        type: t,
        v: 1 as const,
        checkpointId: f.id('checkpointId'),
        epoch: f.epoch(),
        deadlineMs: f.time('deadlineMs'),
      };
      return raw.partitions === undefined ? base : { ...base, partitions: f.partitions('partitions') };
    }
    case 'checkpoint_ack': {
      const ack = {
        type: t,
        v: 1 as const,
        checkpointId: f.id('checkpointId'),
        epoch: f.epoch(),
        workerId: f.id('workerId'),
        partition: f.partition('partition'),
        snapshotKey: f.str('snapshotKey'),
        bytes: f.count('bytes'),
        crc32c: f.u32('crc32c'),
        offsets: f.offsets('offsets'),
      };
      return {
        ...ack,
        ...(raw.chain === undefined ? {} : { chain: f.list('chain', (x, p) => snapshotRef(f, x, p)) }),
        ...(raw.outputSequence === undefined ? {} : { outputSequence: f.int64('outputSequence') }),
        ...(raw.schemaFingerprint === undefined ? {} : { schemaFingerprint: f.hex16('schemaFingerprint') }),
      };
    }
    case 'leader_lease': {
      const acquiredAtMs = f.time('acquiredAtMs');
      const expiresAtMs = f.time('expiresAtMs');
      if (expiresAtMs <= acquiredAtMs)
        throw new InvalidControlFieldError(t, 'expiresAtMs', 'is not after acquiredAtMs');
      return { type: t, v: 1, holderId: f.id('holderId'), term: f.count('term'), acquiredAtMs, expiresAtMs };
    }
    case 'status_request':
      return { type: t, v: 1, requestId: f.id('requestId') };
    case 'status_response': {
      const base = {
        type: t,
        v: 1 as const,
        requestId: f.id('requestId'),
        leaderId: raw.leaderId === null ? null : f.id('leaderId'),
        epoch: f.epoch(),
        numPartitions: f.positive('numPartitions'),
        workers: f.list('workers', (x, p) => {
          const g = f.sub(x, p);
          return {
            workerId: g.id('workerId'),
            state: g.state('state'),
            partitions: g.partitions('partitions'),
            lastHeartbeatMs: g.time('lastHeartbeatMs'),
          };
        }),
        unassigned: f.partitions('unassigned'),
      };
      const partitions =
        raw.partitions === undefined
          ? undefined
          : f.list('partitions', (x, p) => {
              const g = f.sub(x, p);
              return {
                partition: g.partition('partition'),
                workerId: g.raw.workerId === null ? null : g.id('workerId'),
                epoch: g.epoch(),
                lag: g.raw.lag === null ? null : g.count('lag'),
                movingTo: g.raw.movingTo === null ? null : g.id('movingTo'),
              };
            });
      const rebalances =
        raw.rebalances === undefined
          ? undefined
          : f.list('rebalances', (x, p) => {
              const g = f.sub(x, p);
              return {
                rebalanceId: g.id('rebalanceId'),
                epoch: g.epoch(),
                reason: g.str('reason'),
                moves: g.count('moves'),
                startedAtMs: g.time('startedAtMs'),
                finishedAtMs: g.raw.finishedAtMs === null ? null : g.time('finishedAtMs'),
                traceId: g.raw.traceId === null ? null : g.traceId('traceId'),
              };
            });
      return {
        ...base,
        ...(partitions === undefined ? {} : { partitions }),
        ...(rebalances === undefined ? {} : { rebalances }),
      };
    }
    case 'key_query':
      return {
        type: t,
        v: 1,
        requestId: f.id('requestId'),
        workerId: f.id('workerId'),
        key: f.str('key'),
        partition: f.partition('partition'),
      };
    case 'key_query_reply': {
      const status = raw.status;
      if (!KEY_QUERY_STATUSES.includes(status as KeyQueryStatus))
        f.fail('status', `is not one of ${KEY_QUERY_STATUSES.join(', ')}`);
      return {
        type: t,
        v: 1,
        requestId: f.id('requestId'),
        workerId: f.id('workerId'),
        key: f.str('key'),
        partition: f.partition('partition'),
        status: status as KeyQueryStatus,
        heldEpoch: raw.heldEpoch === null ? null : f.count('heldEpoch'),
        watermarkNs: raw.watermarkNs === null ? null : f.int64('watermarkNs'),
        windows: f.list('windows', (x, p) => queriedWindow(f, x, p)),
        lastEmitted: raw.lastEmitted === null ? null : queriedWindow(f, raw.lastEmitted, 'lastEmitted'),
      };
    }
    case 'graph_query':
      return {
        type: t,
        v: 1,
        requestId: f.id('requestId'),
        workerId: f.id('workerId'),
        partition: raw.partition === null ? null : f.partition('partition'),
        maxNodes: f.positive('maxNodes'),
      };
    case 'graph_reply':
      return {
        type: t,
        v: 1,
        requestId: f.id('requestId'),
        workerId: f.id('workerId'),
        partitions: f.partitions('partitions'),
        partition: raw.partition === null ? null : f.partition('partition'),
        nodes: f.count('nodes'),
        edges: f.count('edges'),
        shownNodes: f.count('shownNodes'),
        dot: f.text('dot'),
      };
  }
}

/** One window of a queried key: int64 bounds, a flag, flat scalar fields. */
function queriedWindow(f: Fields, x: unknown, p: string): QueriedWindow {
  const g: Fields = f.sub(x, p);
  const startNs = g.int64('startNs');
  const endNs = g.int64('endNs');
  if (endNs < startNs) g.fail('endNs', 'is before startNs');
  if (typeof g.raw.closed !== 'boolean') g.fail('closed', 'is not a boolean');
  const raw = g.raw.fields;
  if (!isObject(raw) || Object.keys(raw).length > 64)
    g.fail('fields', 'is not an object of at most 64 fields');
  const fields: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(raw)) {
    const ok =
      v === null ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v)) ||
      (typeof v === 'string' && v.length <= MAX_STRING);
    if (!ok || k.length === 0 || k.length > 64)
      g.fail(`fields.${k}`, 'is not a finite number, a string, a boolean or null');
    fields[k] = v as string | number | boolean | null;
  }
  return { startNs, endNs, closed: g.raw.closed as boolean, fields };
}

/** The fields every rebalance step carries. */
function rebalanceStep<T extends ControlMessageType>(f: Fields, type: T) {
  return {
    type,
    v: 1 as const,
    epoch: f.epoch(),
    rebalanceId: f.id('rebalanceId'),
    workerId: f.id('workerId'),
  };
}

function handedOff(f: Fields, x: unknown, p: string): HandedOffPartition {
  const g = f.sub(x, p);
  return {
    partition: g.partition('partition'),
    snapshotKey: g.raw.snapshotKey === null ? null : g.str('snapshotKey'),
    offsets: g.offsets('offsets'),
    ...(g.raw.outputSequence === undefined ? {} : { outputSequence: g.int64('outputSequence') }),
  };
}

function snapshotRef(f: Fields, x: unknown, p: string): SnapshotObjectRef {
  const g: Fields = f.sub(x, p);
  const kind = g.raw.kind;
  if (kind !== 'full' && kind !== 'incremental') g.fail('kind', 'is not one of full, incremental');
  return { key: g.str('key'), bytes: g.count('bytes'), crc32c: g.u32('crc32c'), kind };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Field readers that throw InvalidControlFieldError naming the message type and field path. */
class Fields {
  readonly type: ControlMessageType;
  readonly raw: Record<string, unknown>;
  readonly path: string;
  constructor(type: ControlMessageType, raw: Record<string, unknown>, path = '') {
    this.type = type;
    this.raw = raw;
    this.path = path;
  }

  fail(field: string, detail: string): never {
    throw new InvalidControlFieldError(this.type, this.path === '' ? field : `${this.path}.${field}`, detail);
  }

  sub(x: unknown, path: string): Fields {
    if (!isObject(x)) throw new InvalidControlFieldError(this.type, path, 'is not an object');
    return new Fields(this.type, x, path);
  }

  bool(k: string): boolean {
    const v = this.raw[k];
    if (typeof v !== 'boolean') this.fail(k, 'is not a boolean');
    return v;
  }

  str(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_STRING) {
      this.fail(k, `is not a string of 1..${MAX_STRING} chars`);
    }
    return v;
  }

  /** free text up to the message size limit (e.g. a DOT graph); may be empty */
  text(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string') this.fail(k, 'is not a string');
    return v;
  }

  /** an identifier usable as a NATS subject token: [A-Za-z0-9_-]{1,64} */
  id(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v))
      this.fail(k, 'is not an id ([A-Za-z0-9_-]{1,64})');
    return v;
  }

  int(k: string, min: number, max: number): number {
    const v = this.raw[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(k, `is not an integer in [${min}, ${max}]`);
    }
    return v;
  }

  count(k: string): number {
    return this.int(k, 0, Number.MAX_SAFE_INTEGER);
  }

  positive(k: string): number {
    return this.int(k, 1, 0xffffffff);
  }

  partition(k: string): number {
    return this.int(k, 0, 0xfffffffe);
  }

  u32(k: string): number {
    return this.int(k, 0, 0xffffffff);
  }

  time(k: string): number {
    return this.count(k);
  }

  epoch(): number {
    return this.count('epoch');
  }

  num(k: string): number {
    const v = this.raw[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(k, 'is not a finite number >= 0');
    return v;
  }

  /** `{ code: count }` with at most MAX_LOAD_REASONS codes ([a-z0-9_]{1,64}). */
  reasonCounts(k: string): Record<string, number> {
    const g = this.sub(this.raw[k], this.path === '' ? k : `${this.path}.${k}`);
    const codes = Object.keys(g.raw);
    if (codes.length > MAX_LOAD_REASONS) this.fail(k, `has more than ${MAX_LOAD_REASONS} reason codes`);
    const out: Record<string, number> = {};
    for (const c of codes) {
      if (!/^[a-z0-9_]{1,64}$/.test(c)) this.fail(k, `has a reason code that is not [a-z0-9_]{1,64}`);
      out[c] = g.count(c);
    }
    return out;
  }

  hex16(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || !/^[0-9a-f]{16}$/.test(v)) this.fail(k, 'is not 16 lowercase hex digits');
    return v;
  }

  int64(k: string): bigint {
    const v = this.raw[k];
    if (typeof v !== 'string' || !DECIMAL.test(v)) this.fail(k, 'is not an int64 decimal string');
    const b = BigInt(v);
    if (b < INT64_MIN || b > INT64_MAX) this.fail(k, 'is out of the int64 range');
    return b;
  }

  traceId(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || !/^[0-9a-f]{32}$/.test(v)) this.fail(k, 'is not a 32-hex-digit trace id');
    return v;
  }

  state(k: string): WorkerState {
    const v = this.raw[k];
    if (!WORKER_STATES.includes(v as WorkerState)) this.fail(k, `is not one of ${WORKER_STATES.join(', ')}`);
    return v as WorkerState;
  }

  list<T>(k: string, each: (x: unknown, path: string) => T): T[] {
    const v = this.raw[k];
    if (!Array.isArray(v) || v.length > MAX_LIST) this.fail(k, `is not an array of at most ${MAX_LIST}`);
    const p = this.path === '' ? k : `${this.path}.${k}`;
    return v.map((x, i) => each(x, `${p}[${i}]`));
  }

  /** a list of distinct partition numbers */
  partitions(k: string): number[] {
    const seen = new Set<number>();
    return this.list(k, (x, p) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xfffffffe) {
        throw new InvalidControlFieldError(this.type, p, 'is not a partition number');
      }
      if (seen.has(x)) throw new InvalidControlFieldError(this.type, p, 'is listed twice');
      seen.add(x);
      return x;
    });
  }

  offsets(k: string): KafkaOffset[] {
    return this.list(k, (x, p) => {
      const g = this.sub(x, p);
      return { topic: g.str('topic'), partition: g.partition('partition'), offset: g.int64('offset') };
    });
  }
}
