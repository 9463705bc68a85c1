// Shared fixtures of the protocol tests: fixed sample values and frames.
import {
  DeltaBatchEncoder,
  defineSchema,
  encodeSchemaFrame,
  encodeSnapshot,
  encodeTrade,
  type OutputRecord,
  type PartitionSnapshot,
  type Schema,
  type Trade,
  TradeBatchEncoder,
} from '../src/index.ts';

export const trade: Trade = {
  symbol: 'SYM0001',
  price: 101.5,
  size: 300,
  timestampNs: 1_700_000_000_000_000_000n,
  venue: 'XNAS',
};

export function tradeAt(i: number): Trade {
  return {
    symbol: `SYM${String(i % 100).padStart(4, '0')}`,
    price: 100 + (i % 100) / 10,
    size: 1 + (i % 1000),
    timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    venue: i % 3 === 0 ? 'XNAS' : 'ARCX',
  };
}

/** VWAP output per symbol, version 1. */
export const vwapV1: Schema = defineSchema({
  name: 'ripple.vwap',
  version: 1,
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'vwap', type: 'float64' },
    { name: 'volume', type: 'int' },
  ],
});

/** Version 2 adds an optional field and a field with a default, and widens volume to int64. */
export const vwapV2: Schema = defineSchema({
  name: 'ripple.vwap',
  version: 2,
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'vwap', type: 'float64' },
    { name: 'volume', type: 'int64' },
    { name: 'trades', type: 'int', default: 0 },
    { name: 'venue', type: 'string', optional: true },
  ],
});

export const records: OutputRecord[] = [
  {
    key: 'SYM0001',
    partition: 7,
    sequence: 42,
    window: { startNs: 1_700_000_000_000_000_000n, endNs: 1_700_000_060_000_000_000n },
    delta: { kind: 'set', value: { symbol: 'SYM0001', vwap: 101.25, volume: 1200 } },
  },
  {
    key: 'SYM0002',
    partition: 7,
    sequence: 43,
    window: { startNs: 1_700_000_000_000_000_000n, endNs: 1_700_000_060_000_000_000n },
    delta: {
      kind: 'patch',
      ops: [
        { op: 'field_set', field: 'vwap', value: 99.5 },
        { op: 'field_remove', field: 'venue' },
        { op: 'map_set', field: 'byVenue', key: 'XNAS', value: [1, -2n, null, true, 'é'] },
        { op: 'map_remove', field: 'byVenue', key: 'ARCX' },
      ],
    },
  },
  {
    key: 'SYM0003',
    partition: 7,
    sequence: 44,
    window: { startNs: 0n, endNs: 0n },
    delta: { kind: 'remove' },
  },
];

export const snapshot: PartitionSnapshot = {
  checkpointId: 'ckpt-000017',
  workerId: 'worker-3',
  partition: 7,
  epoch: 12,
  createdAtNs: 1_700_000_100_000_000_000n,
  nodeCount: 4001,
  offsets: [{ topic: 'trades', partition: 7, offset: 123456789n }],
  schema: vwapV1,
  leaves: [
    { name: 'SYM0001', value: { symbol: 'SYM0001', vwap: 101.25, volume: 1200 } },
    { name: 'SYM0002', value: { symbol: 'SYM0002', vwap: 99.5, volume: 3 } },
  ],
};

/** Every frame kind, built from the fixtures (the golden files pin these bytes). */
export function goldenFrames(): Record<string, Uint8Array> {
  const tb = new TradeBatchEncoder();
  for (let i = 0; i < 3; i++) tb.add(tradeAt(i));
  const db = new DeltaBatchEncoder(vwapV1);
  for (const r of records) db.add(r);
  return {
    trade: encodeTrade(trade, { sequence: 7 }),
    'trade-batch': tb.finish({ sequence: 8 }),
    'delta-batch': db.finish({ sequence: 9, flags: 1 }),
    snapshot: encodeSnapshot(snapshot, { sequence: 10 }),
    schema: encodeSchemaFrame(vwapV1, { sequence: 11 }),
  };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}
