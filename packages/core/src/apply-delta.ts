/**
 * The value after a delta: the one operation of the delta algebra every
 * reader of deltas needs (the stream layer, the contract consumers of the
 * output, the dashboard), so it lives with the shapes. The rest of the
 * algebra (diff, compose, the laws) is in @ripple/stream.
 *
 * `Set` replaces, `Remove` gives `undefined` (absent), `Patch` applies its
 * absolute ops to a copy of the record (anything but a record counts as the
 * empty record; a map op makes its field a map first). Values are never
 * mutated: unchanged parts are shared.
 */
import type { Delta, PatchOp, Value, ValueRecord } from './value.ts';

export function applyDelta(delta: Delta, value: Value | undefined): Value | undefined {
  switch (delta.kind) {
    case 'set':
      return delta.value;
    case 'remove':
      return undefined;
    case 'patch':
      return applyOps(delta.ops, value);
  }
}

function isRecord(v: Value | undefined): v is ValueRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function applyOps(ops: readonly PatchOp[], value: Value | undefined): ValueRecord {
  const out: { [k: string]: Value } = isRecord(value) ? { ...value } : {};
  for (const op of ops) {
    switch (op.op) {
      case 'field_set':
        out[op.field] = op.value;
        break;
      case 'field_remove':
        delete out[op.field];
        break;
      case 'map_set':
      case 'map_remove': {
        const cur = out[op.field];
        const m: { [k: string]: Value } = isRecord(cur) ? { ...cur } : {};
        if (op.op === 'map_set') m[op.key] = op.value;
        else delete m[op.key];
        out[op.field] = m;
        break;
      }
    }
  }
  return out;
}
