import { describe, expect, it } from 'vitest';
import {
  decodeSnapshot,
  defineSchema,
  encodeSnapshot,
  InvalidValueError,
  SchemaIncompatibleError,
  SchemaViolationError,
} from '../src/index.ts';
import { snapshot, vwapV1, vwapV2 } from './fixtures.ts';

describe('snapshots', () => {
  it('round-trip with the same schema', () => {
    const s = decodeSnapshot(encodeSnapshot(snapshot), { reader: vwapV1 });
    expect(s.leaves).toEqual(snapshot.leaves);
    expect(s.offsets).toEqual(snapshot.offsets);
    expect(s.writerSchema.id).toBe(vwapV1.id);
  });

  it('a v2 worker restores a v1 snapshot (defaults and promotions applied)', () => {
    const s = decodeSnapshot(encodeSnapshot(snapshot), { reader: vwapV2 });
    expect(s.schema).toBe(vwapV2);
    expect(s.writerSchema.fingerprint).toBe(vwapV1.fingerprint);
    expect(s.leaves[0]).toEqual({
      name: 'SYM0001',
      value: { symbol: 'SYM0001', vwap: 101.25, volume: 1200n, trades: 0 },
    });
  });

  it('a worker refuses a snapshot it cannot read, naming the rule', () => {
    const v3 = defineSchema({
      name: 'ripple.vwap',
      version: 3,
      fields: [...vwapV1.fields, { name: 'required', type: 'int' }],
    });
    try {
      decodeSnapshot(encodeSnapshot(snapshot), { reader: v3 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaIncompatibleError);
      const err = e as SchemaIncompatibleError;
      expect(err.issues).toEqual([
        expect.objectContaining({ path: 'required', rule: 'required_field_added' }),
      ]);
      expect(err.message).toContain('ripple.vwap@1#');
    }
  });

  it('refuses to write leaves that do not match the schema or repeat a name', () => {
    expect(() => encodeSnapshot({ ...snapshot, leaves: [{ name: 'x', value: { symbol: 1 } }] })).toThrow(
      SchemaViolationError,
    );
    expect(() => encodeSnapshot({ ...snapshot, leaves: [snapshot.leaves[0]!, snapshot.leaves[0]!] })).toThrow(
      InvalidValueError,
    );
  });

  it('is deterministic: the same snapshot gives the same bytes', () => {
    expect(encodeSnapshot(snapshot)).toEqual(encodeSnapshot({ ...snapshot, leaves: [...snapshot.leaves] }));
  });
});
