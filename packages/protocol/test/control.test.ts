import { describe, expect, it } from 'vitest';
import {
  CONTROL_MESSAGE_TYPES,
  CONTROL_REJECT_CODES,
  type ControlMessage,
  clusterSubjects,
  decodeControlMessage,
  encodeControlMessage,
  type Heartbeat,
  InvalidControlFieldError,
  InvalidSubjectTokenError,
  parseSubject,
  type Revoke,
  StaleEpochError,
  tryDecodeControlMessage,
} from '../src/index.ts';

const offsets = [{ topic: 'trades', partition: 3, offset: 9_007_199_254_740_993n }];

export const samples: ControlMessage[] = [
  {
    type: 'register',
    v: 1,
    workerId: 'worker-0',
    incarnation: 'a1b2',
    softwareVersion: '0.1.0',
    rpcAddress: '127.0.0.1:9101',
    sentAtMs: 1,
  },
  {
    type: 'heartbeat',
    v: 1,
    workerId: 'worker-0',
    incarnation: 'a1b2',
    epoch: 4,
    state: 'active',
    partitions: [{ partition: 3, offset: 12n, lag: 0 }],
    load: { cpu: 0.5, eventsPerSec: 1000.5, keys: 2000, heapBytes: 1 << 20 },
    sentAtMs: 2,
  },
  {
    type: 'assignment',
    v: 1,
    epoch: 5,
    numPartitions: 8,
    owners: [
      { partition: 0, workerId: 'worker-0' },
      { partition: 7, workerId: 'worker-1' },
    ],
  },
  {
    type: 'revoke',
    v: 1,
    epoch: 5,
    rebalanceId: 'rb-1',
    workerId: 'worker-0',
    partitions: [3],
    deadlineMs: 30000,
  },
  {
    type: 'revoke_ack',
    v: 1,
    epoch: 5,
    rebalanceId: 'rb-1',
    workerId: 'worker-0',
    partitions: [{ partition: 3, snapshotKey: 'snap/3/17', offsets }],
  },
  {
    type: 'assign',
    v: 1,
    epoch: 5,
    rebalanceId: 'rb-1',
    workerId: 'worker-1',
    partitions: [{ partition: 3, snapshotKey: null, offsets: [] }],
  },
  { type: 'assign_ack', v: 1, epoch: 5, rebalanceId: 'rb-1', workerId: 'worker-1', partitions: [3] },
  { type: 'checkpoint_trigger', v: 1, checkpointId: 'ckpt-17', epoch: 5, deadlineMs: 10 },
  { type: 'checkpoint_trigger', v: 1, checkpointId: 'ckpt-18', epoch: 5, deadlineMs: 10, partitions: [1, 2] },
  {
    type: 'checkpoint_ack',
    v: 1,
    checkpointId: 'ckpt-17',
    epoch: 5,
    workerId: 'worker-1',
    partition: 3,
    snapshotKey: 'snap/3/17',
    bytes: 800_000,
    crc32c: 0xe3069283,
    offsets,
  },
  { type: 'leader_lease', v: 1, holderId: 'coord-a', term: 2, acquiredAtMs: 100, expiresAtMs: 10_100 },
  { type: 'status_request', v: 1, requestId: 'r1' },
  {
    type: 'status_response',
    v: 1,
    requestId: 'r1',
    leaderId: null,
    epoch: 5,
    numPartitions: 8,
    workers: [{ workerId: 'worker-0', state: 'draining', partitions: [0, 1], lastHeartbeatMs: 5 }],
    unassigned: [2],
  },
  {
    type: 'heartbeat',
    v: 1,
    workerId: 'worker-1',
    incarnation: 'c3',
    epoch: 7,
    state: 'active',
    partitions: [{ partition: 3, offset: 12n, lag: 4, epoch: 6 }],
    load: { cpu: 0, eventsPerSec: 0, keys: 0, heapBytes: 0 },
    sentAtMs: 3,
  },
  {
    type: 'status_response',
    v: 1,
    requestId: 'r2',
    leaderId: 'coord-a',
    epoch: 9,
    numPartitions: 2,
    workers: [],
    unassigned: [1],
    partitions: [
      { partition: 0, workerId: 'worker-0', epoch: 9, lag: 3, movingTo: null },
      { partition: 1, workerId: null, epoch: 0, lag: null, movingTo: 'worker-1' },
    ],
    rebalances: [
      {
        rebalanceId: 'r9',
        epoch: 9,
        reason: 'worker-1 joined',
        moves: 1,
        startedAtMs: 10,
        finishedAtMs: null,
        traceId: '0af7651916cd43dd8448eb211c80319c',
      },
    ],
  },
  {
    type: 'assign',
    v: 1,
    epoch: 6,
    rebalanceId: 'rb-2',
    workerId: 'worker-1',
    partitions: [{ partition: 3, snapshotKey: 'snap/3/17', offsets, outputSequence: 9_007_199_254_740_993n }],
  },
  {
    type: 'heartbeat',
    v: 1,
    workerId: 'worker-2',
    incarnation: 'd4',
    epoch: 7,
    state: 'active',
    partitions: [],
    load: {
      cpu: 0.1,
      eventsPerSec: 10,
      keys: 3,
      heapBytes: 1,
      deadLetters: { malformed: 3, invalid_trade: 1 },
      late: 5,
    },
    sentAtMs: 4,
  },
  { type: 'key_query', v: 1, requestId: 'q1', workerId: 'worker-2', key: 'AAPL', partition: 5 },
  {
    type: 'key_query_reply',
    v: 1,
    requestId: 'q1',
    workerId: 'worker-2',
    key: 'AAPL',
    partition: 5,
    status: 'ok',
    heldEpoch: 4,
    watermarkNs: 1_700_000_004_000_000_000n,
    windows: [
      {
        startNs: 1_700_000_005_000_000_000n,
        endNs: 1_700_000_010_000_000_000n,
        closed: false,
        fields: { symbol: 'AAPL', vwap: 101.25, volume: 40, count: 3 },
      },
    ],
    lastEmitted: {
      startNs: 1_700_000_000_000_000_000n,
      endNs: 1_700_000_005_000_000_000n,
      closed: true,
      fields: { symbol: 'AAPL', vwap: 100.5, volume: 12, count: 2, note: null, final: true },
    },
  },
  {
    type: 'key_query_reply',
    v: 1,
    requestId: 'q2',
    workerId: 'worker-1',
    key: 'AAPL',
    partition: 5,
    status: 'moving',
    heldEpoch: 5,
    watermarkNs: null,
    windows: [],
    lastEmitted: null,
  },
  { type: 'graph_query', v: 1, requestId: 'g1', workerId: 'worker-0', partition: null, maxNodes: 200 },
  {
    type: 'graph_reply',
    v: 1,
    requestId: 'g1',
    workerId: 'worker-0',
    partitions: [1, 4],
    partition: 4,
    nodes: 3,
    edges: 2,
    shownNodes: 3,
    dot: 'digraph "p4" {\n  n0 -> n1;\n}\n',
  },
];

function json(m: object): string {
  return JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function rejectCode(input: string | Uint8Array, currentEpoch?: number): string {
  const r = tryDecodeControlMessage(input, currentEpoch === undefined ? undefined : { currentEpoch });
  return r.ok ? 'accepted' : r.error.code;
}

describe('control messages', () => {
  it('every type round-trips (int64 offsets as decimal strings)', () => {
    expect(new Set(samples.map((m) => m.type))).toEqual(new Set(CONTROL_MESSAGE_TYPES));
    for (const m of samples) {
      const bytes = encodeControlMessage(m);
      expect(decodeControlMessage(bytes)).toEqual(m);
    }
    expect(new TextDecoder().decode(encodeControlMessage(samples[4]!))).toContain(
      '"offset":"9007199254740993"',
    );
    // a fencing revoke (optional field, v1)
    const fence = { ...(samples[3] as Revoke), fence: true };
    expect(decodeControlMessage(encodeControlMessage(fence))).toEqual(fence);
  });

  it('refuses bad queries and replies, naming the field', () => {
    const q = samples.find((m) => m.type === 'key_query')!;
    const r = samples.find((m) => m.type === 'key_query_reply' && m.status === 'ok')!;
    const g = samples.find((m) => m.type === 'graph_reply')!;
    const field = (m: object) => {
      const x = tryDecodeControlMessage(json(m));
      return x.ok ? 'accepted' : `${x.error.code} ${(x.error as { field?: string }).field ?? ''}`;
    };
    expect(field({ ...q, key: '' })).toBe('CTRL_INVALID_FIELD key');
    expect(field({ ...q, partition: -1 })).toBe('CTRL_INVALID_FIELD partition');
    expect(field({ ...q, workerId: 'a.*' })).toBe('CTRL_INVALID_FIELD workerId');
    expect(field({ ...r, status: 'gone' })).toBe('CTRL_INVALID_FIELD status');
    const w = (r as unknown as { windows: object[] }).windows[0]!;
    expect(field({ ...r, windows: [{ ...w, endNs: '1' }] })).toBe('CTRL_INVALID_FIELD windows[0].endNs');
    expect(field({ ...r, windows: [{ ...w, closed: 'no' }] })).toBe('CTRL_INVALID_FIELD windows[0].closed');
    expect(field({ ...r, windows: [{ ...w, fields: { vwap: { x: 1 } } }] })).toBe(
      'CTRL_INVALID_FIELD windows[0].fields.vwap',
    );
    expect(field({ ...r, watermarkNs: 5 })).toBe('CTRL_INVALID_FIELD watermarkNs');
    expect(field({ ...g, dot: 7 })).toBe('CTRL_INVALID_FIELD dot');
    expect(field({ ...g, maxNodes: 0, type: 'graph_query' })).toBe('CTRL_INVALID_FIELD maxNodes');
  });

  it('refuses malformed input with a typed reason', () => {
    expect(rejectCode('{')).toBe('CTRL_MALFORMED');
    expect(rejectCode(new Uint8Array([0xff, 0xfe]))).toBe('CTRL_MALFORMED');
    expect(rejectCode('[]')).toBe('CTRL_MALFORMED');
    expect(rejectCode('null')).toBe('CTRL_MALFORMED');
    expect(rejectCode('{"v":1}')).toBe('CTRL_MALFORMED');
    expect(rejectCode('{"type":"explode","v":1}')).toBe('CTRL_UNKNOWN_TYPE');
    expect(rejectCode('{"type":"toString","v":1}')).toBe('CTRL_UNKNOWN_TYPE');
    expect(rejectCode(json({ ...samples[0]!, v: 2 }))).toBe('CTRL_UNSUPPORTED_VERSION');
    expect(rejectCode(json({ ...samples[0]!, v: undefined }))).toBe('CTRL_UNSUPPORTED_VERSION');
    expect(rejectCode('x'.repeat(2_000_000))).toBe('CTRL_TOO_LARGE');
    expect(CONTROL_REJECT_CODES).toContain('CTRL_STALE_EPOCH');
  });

  it('checks every field: type, range, identity', () => {
    const hbLoad = (samples[1] as Heartbeat).load;
    const bad: [ControlMessage, Record<string, unknown>, string][] = [
      [samples[0]!, { workerId: 'a.b' }, 'workerId'],
      [samples[0]!, { workerId: undefined }, 'workerId'],
      [samples[0]!, { sentAtMs: -1 }, 'sentAtMs'],
      [samples[1]!, { state: 'sleeping' }, 'state'],
      [samples[1]!, { epoch: 1.5 }, 'epoch'],
      [samples[1]!, { partitions: [{ partition: 1, offset: '1e3', lag: 0 }] }, 'partitions[0].offset'],
      [
        samples[1]!,
        { partitions: [{ partition: 1, offset: '9223372036854775808', lag: 0 }] },
        'partitions[0].offset',
      ],
      [samples[1]!, { load: { cpu: Number.NaN } }, 'load.cpu'],
      [samples[1]!, { load: { ...hbLoad, late: -1 } }, 'load.late'],
      [samples[1]!, { load: { ...hbLoad, deadLetters: [] } }, 'load.deadLetters'],
      [samples[1]!, { load: { ...hbLoad, deadLetters: { 'Bad Code': 1 } } }, 'load.deadLetters'],
      [samples[1]!, { load: { ...hbLoad, deadLetters: { malformed: 0.5 } } }, 'load.deadLetters.malformed'],
      [
        samples[1]!,
        {
          load: {
            ...hbLoad,
            deadLetters: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`r${i}`, 1])),
          },
        },
        'load.deadLetters',
      ],
      [samples[2]!, { owners: [{ partition: 8, workerId: 'w' }] }, 'owners[0].partition'],
      [
        samples[2]!,
        {
          owners: [
            { partition: 1, workerId: 'w' },
            { partition: 1, workerId: 'x' },
          ],
        },
        'owners[1].partition',
      ],
      [samples[3]!, { partitions: [1, 1] }, 'partitions[1]'],
      [samples[3]!, { fence: 'yes' }, 'fence'],
      [
        samples[4]!,
        { partitions: [{ partition: 1, snapshotKey: 5, offsets: [] }] },
        'partitions[0].snapshotKey',
      ],
      [samples[9]!, { crc32c: 2 ** 32 }, 'crc32c'],
      [samples[10]!, { expiresAtMs: 100 }, 'expiresAtMs'],
      [samples[12]!, { workers: 'all' }, 'workers'],
    ];
    for (const [m, patch, field] of bad) {
      const r = tryDecodeControlMessage(json({ ...m, ...patch }));
      expect(r.ok, `${m.type} ${field}`).toBe(false);
      if (!r.ok) {
        expect(r.error).toBeInstanceOf(InvalidControlFieldError);
        expect((r.error as InvalidControlFieldError).field).toBe(field);
        expect(r.error.messageType).toBe(m.type);
      }
    }
    expect(() => encodeControlMessage({ ...samples[3]!, partitions: [-1] } as ControlMessage)).toThrow(
      InvalidControlFieldError,
    );
  });

  it('fences stale epochs', () => {
    expect(rejectCode(json(samples[3]!), 6)).toBe('CTRL_STALE_EPOCH');
    expect(rejectCode(json(samples[3]!), 5)).toBe('accepted');
    expect(rejectCode(json(samples[0]!), 99)).toBe('accepted'); // register carries no epoch
    expect(() => decodeControlMessage(json(samples[1]!), { currentEpoch: 9 })).toThrow(StaleEpochError);
  });

  it('ignores unknown fields (tolerant reader)', () => {
    expect(decodeControlMessage(json({ ...samples[11]!, extra: 1 }))).toEqual(samples[11]);
  });
});

describe('control messages under mutation', () => {
  it('mutated JSON is either a valid message or a typed refusal, never an exception', () => {
    let a = 12345;
    const rnd = (n: number) => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a % n;
    };
    const pieces = [
      '"',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '-1',
      '1e309',
      'null',
      '"x"',
      '9007199254740993',
      '""',
      '0.5',
    ];
    let refused = 0;
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // refusals are the common case: stack traces would dominate the run
    try {
      for (let i = 0; i < 10_000; i++) {
        let text = json(samples[rnd(samples.length)]!);
        for (let e = 1 + rnd(3); e > 0; e--) {
          const at = rnd(text.length);
          const m = rnd(3);
          if (m === 0) text = text.slice(0, at) + text.slice(at + 1 + rnd(6));
          else if (m === 1) text = text.slice(0, at) + pieces[rnd(pieces.length)]! + text.slice(at);
          else text = text.slice(0, at) + String.fromCharCode(32 + rnd(95)) + text.slice(at + 1);
        }
        const r = tryDecodeControlMessage(text, { currentEpoch: 5 });
        if (!r.ok) {
          refused++;
          expect(CONTROL_REJECT_CODES).toContain(r.error.code);
        } else {
          // an accepted message re-encodes and decodes to itself
          expect(decodeControlMessage(encodeControlMessage(r.message))).toEqual(r.message);
        }
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    expect(refused).toBeGreaterThan(5_000);
  }, 60_000);
});

describe('NATS subjects', () => {
  const s = clusterSubjects('prod-eu');
  it('are defined once under ripple.<cluster>', () => {
    expect(s.heartbeat('worker-3')).toBe('ripple.prod-eu.worker.worker-3.heartbeat');
    expect(s.allHeartbeats).toBe('ripple.prod-eu.worker.*.heartbeat');
    expect(s.revoke('w1')).toBe('ripple.prod-eu.rebalance.w1.revoke');
    expect(s.rebalanceFor('w1')).toBe('ripple.prod-eu.rebalance.w1.*');
    expect(s.all).toBe('ripple.prod-eu.>');
    expect(s.leaseBucket).toBe('ripple_prod-eu_leases');
    const concrete = [s.register, s.heartbeat('w'), s.assignment, s.revoke('w'), s.assign('w')];
    concrete.push(s.checkpointTrigger, s.checkpointAck, s.leader, s.status, s.query('w'));
    const kinds = concrete.map((x) => parseSubject(x)?.kind);
    expect(kinds).toEqual([
      'register',
      'heartbeat',
      'assignment',
      'revoke',
      'assign',
      'checkpoint_trigger',
      'checkpoint_ack',
      'leader',
      'status',
      'query',
    ]);
    expect(s.query('worker-2')).toBe('ripple.prod-eu.query.worker-2');
    expect(parseSubject(s.query('worker-2'))).toEqual({
      kind: 'query',
      cluster: 'prod-eu',
      workerId: 'worker-2',
    });
    expect(parseSubject(s.heartbeat('w'))).toEqual({ kind: 'heartbeat', cluster: 'prod-eu', workerId: 'w' });
    expect(parseSubject('ripple.prod-eu.worker.*.heartbeat')).toBeUndefined();
    expect(s.ack('w-1')).toBe('ripple.prod-eu.worker.w-1.ack');
    expect(s.allAcks).toBe('ripple.prod-eu.worker.*.ack');
    expect(parseSubject(s.ack('w-1'))).toEqual({ kind: 'ack', cluster: 'prod-eu', workerId: 'w-1' });
    expect(s.stateBucket).toBe('ripple_prod-eu_state');
    expect(parseSubject('other.x.leader')).toBeUndefined();
  });

  it('refuse tokens that would inject wildcards or levels', () => {
    for (const t of ['', 'a.b', '*', '>', 'a b', 'x'.repeat(65)]) {
      expect(() => s.heartbeat(t)).toThrow(InvalidSubjectTokenError);
    }
    expect(() => clusterSubjects('a.>')).toThrow(InvalidSubjectTokenError);
  });
});
