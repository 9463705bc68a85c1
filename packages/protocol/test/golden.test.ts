// Golden bytes: the exact encoding of each codec is pinned in test/golden/*.hex.
// A failure here means the wire format changed: that must be a deliberate
// version bump (FRAME_VERSION or a schema version), never an accident.
// Regenerate deliberately with UPDATE_GOLDEN=1.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeDeltaBatch,
  decodeFrame,
  decodeSchemaFrame,
  decodeSnapshot,
  decodeTrade,
  decodeTradeBatch,
  formatFingerprint,
  SchemaRegistry,
  TRADE_SCHEMA,
} from '../src/index.ts';
import { goldenFrames, hex, records, snapshot, trade, tradeAt, unhex, vwapV1 } from './fixtures.ts';

const dir = new URL('./golden/', import.meta.url);

function golden(name: string, actual: Uint8Array): Uint8Array {
  const file = new URL(`${name}.hex`, dir);
  const text = `${hex(actual)
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  const pinned = readFileSync(file, 'utf8');
  expect(text).toBe(pinned);
  return unhex(pinned);
}

describe('golden bytes', () => {
  const frames = goldenFrames();

  it('pins the schema fingerprints', () => {
    const fps = `trade ${formatFingerprint(TRADE_SCHEMA.fingerprint)}\nvwap.v1 ${formatFingerprint(vwapV1.fingerprint)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(new URL('fingerprints.txt', dir), fps);
    expect(fps).toBe(readFileSync(new URL('fingerprints.txt', dir), 'utf8'));
  });

  it('trade frame', () => {
    const bytes = golden('trade', frames.trade!);
    expect(bytes.length).toBe(40 + 26 + 7 + 4);
    expect(decodeTrade(bytes)).toEqual(trade);
  });

  it('trade batch frame', () => {
    const bytes = golden('trade-batch', frames['trade-batch']!);
    expect(decodeTradeBatch(bytes)).toEqual([tradeAt(0), tradeAt(1), tradeAt(2)]);
    expect(decodeFrame(bytes).eventTimeNs).toBe(tradeAt(2).timestampNs);
  });

  it('delta batch frame', () => {
    const bytes = golden('delta-batch', frames['delta-batch']!);
    const d = decodeDeltaBatch(bytes, { schemas: new SchemaRegistry([vwapV1]) });
    expect(d.records).toEqual(records);
    expect(d.frame.flags).toBe(1);
    expect(d.schema).toBe(vwapV1);
  });

  it('snapshot frame', () => {
    const bytes = golden('snapshot', frames.snapshot!);
    const s = decodeSnapshot(bytes, { reader: vwapV1 });
    expect({ ...s, writerSchema: undefined }).toEqual({ ...snapshot, writerSchema: undefined });
  });

  it('schema frame', () => {
    const bytes = golden('schema', frames.schema!);
    expect(decodeSchemaFrame(bytes).fingerprint).toBe(vwapV1.fingerprint);
  });
});
