/**
 * Schema-directed fast paths for record values (snapshot leaves): a schema
 * is compiled once into a plan, then a value is checked against it, or
 * checked and written in the same pass, with no error paths built.
 *
 * Contract: every function here answers only "yes, and done" or "no". A "no"
 * never throws and never explains; the caller then runs the path-building
 * code (`conformance` in schema.ts, `writeValue`) that raises the typed
 * error. So a "yes" must imply exactly what the slow code accepts:
 *   - `conformsTo(s, v)`  <=> `conformance({ record: s.fields }, v, '') === undefined`
 *   - `writeConforming`    => the same, and `writeValue` would write the same bytes
 *                              (it may say "no" more often; the caller retries slowly).
 * Keep them in step with schema.ts and value-codec.ts.
 *
 * Value nesting needs no depth check: schema types nest at most 34 levels
 * (schema.ts MAX_TYPE_DEPTH), below value-codec's MAX_DEPTH of 64.
 */
import { ByteWriter, INT64_MAX, INT64_MIN } from './bytes.ts';
import type { FieldDef, FieldType, Schema } from './schema-types.ts';
import { type Value, writeBigint, writeNumber } from './value-codec.ts';

const BOOL = 0;
const INT = 1;
const FLOAT64 = 2;
const INT64 = 3;
const STRING = 4;
const LIST = 5;
const MAP = 6;
const RECORD = 7;

/** One shape for every node (monomorphic property loads). */
interface Plan {
  readonly kind: number;
  /** element plan of a list or map */
  readonly elem: Plan | null;
  readonly record: RecordPlan | null;
}

interface RecordPlan {
  readonly names: readonly string[];
  /** each name as written: u32 length + ASCII (field names are ASCII) */
  readonly nameBytes: readonly Uint8Array[];
  readonly plans: readonly Plan[];
  /** null allowed (optional) */
  readonly nullable: readonly boolean[];
  /** must be present and non-null (not optional, no default) */
  readonly required: readonly boolean[];
  readonly requiredCount: number;
  readonly index: ReadonlyMap<string, number>;
  /** `seen[i] === stamp` when field i was found among the keys of the record in hand */
  readonly seen: Float64Array;
}

type Obj = { readonly [k: string]: Value };

const plans = new WeakMap<Schema, RecordPlan>();

function planOf(schema: Schema): RecordPlan {
  let p = plans.get(schema);
  if (p === undefined) {
    p = compileRecord(schema.fields);
    plans.set(schema, p);
  }
  return p;
}

function compile(t: FieldType): Plan {
  switch (t) {
    case 'bool':
      return { kind: BOOL, elem: null, record: null };
    case 'int':
      return { kind: INT, elem: null, record: null };
    case 'float64':
      return { kind: FLOAT64, elem: null, record: null };
    case 'int64':
    case 'timestamp_ns':
      return { kind: INT64, elem: null, record: null };
    case 'string':
      return { kind: STRING, elem: null, record: null };
  }
  if ('list' in t) return { kind: LIST, elem: compile(t.list), record: null };
  if ('map' in t) return { kind: MAP, elem: compile(t.map), record: null };
  return { kind: RECORD, elem: null, record: compileRecord(t.record) };
}

function compileRecord(fields: readonly FieldDef[]): RecordPlan {
  const required = fields.map((f) => f.optional !== true && f.default === undefined);
  return {
    names: fields.map((f) => f.name),
    nameBytes: fields.map((f) => {
      const w = new ByteWriter(4 + f.name.length);
      w.str(f.name, 4, 0xffffffff);
      return w.copy();
    }),
    plans: fields.map((f) => compile(f.type)),
    nullable: fields.map((f) => f.optional === true),
    required,
    requiredCount: required.filter(Boolean).length,
    index: new Map(fields.map((f, i) => [f.name, i])),
    seen: new Float64Array(fields.length),
  };
}

let stamp = 0;

function isObject(v: Value): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Index of field `k`, trying `guess` first (keys usually come in field order). */
function fieldIndex(r: RecordPlan, k: string, guess: number): number {
  if (r.names[guess] === k) return guess;
  return r.index.get(k) ?? -1;
}

/**
 * Fields not among the keys must be absent or undefined as `conformance`
 * reads them (`hasOwn`): a non-enumerable own field is left to the slow path.
 */
function restAbsent(r: RecordPlan, v: Obj, keyCount: number, s: number): boolean {
  const names = r.names;
  if (keyCount === names.length) return true;
  for (let j = 0; j < names.length; j++) {
    if (r.seen[j] !== s && Object.hasOwn(v, names[j]!)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- check only

/** Does `v` conform to `schema` (a record)? Exactly `validateValue` not throwing. */
export function conformsTo(schema: Schema, v: Value): boolean {
  return isObject(v) && recordConforms(planOf(schema), v);
}

function conforms(p: Plan, v: Value): boolean {
  switch (p.kind) {
    case BOOL:
      return typeof v === 'boolean';
    case INT:
      return Number.isSafeInteger(v);
    case FLOAT64:
      return typeof v === 'number';
    case INT64:
      return typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX;
    case STRING:
      return typeof v === 'string';
    case LIST: {
      if (!Array.isArray(v)) return false;
      const e = p.elem!;
      const arr = v as readonly Value[];
      for (let i = 0; i < arr.length; i++) if (!conforms(e, arr[i] as Value)) return false;
      return true;
    }
    case MAP: {
      if (!isObject(v)) return false;
      const e = p.elem!;
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) if (!conforms(e, v[keys[i]!]!)) return false;
      return true;
    }
    default:
      return isObject(v) && recordConforms(p.record!, v);
  }
}

function recordConforms(r: RecordPlan, v: Obj): boolean {
  const s = ++stamp;
  const keys = Object.keys(v);
  let required = 0;
  let guess = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const fi = fieldIndex(r, k, guess);
    if (fi < 0) return false; // unknown field
    guess = fi + 1;
    r.seen[fi] = s;
    const fv = v[k];
    if (fv === undefined || fv === null) {
      // undefined reads as absent, null as null: both need `optional` (or, undefined, a default)
      if (r.required[fi]) return false;
      if (fv === null && !r.nullable[fi]) return false;
      continue;
    }
    if (r.required[fi]) required++;
    if (!conforms(r.plans[fi]!, fv)) return false;
  }
  return required === r.requiredCount && restAbsent(r, v, keys.length, s);
}

// ---------------------------------------------------------------- check and write

/**
 * Writes `v` (a record conforming to `schema`) as `writeValue` would and
 * returns true; or returns false, the writer in an unspecified state, when
 * `v` does not conform or `writeValue` would refuse it.
 */
export function writeConforming(w: ByteWriter, schema: Schema, v: Value): boolean {
  return writeRecord(w, planOf(schema), v);
}

function write(w: ByteWriter, p: Plan, v: Value): boolean {
  switch (p.kind) {
    case BOOL:
      if (typeof v !== 'boolean') return false;
      w.u8(v ? 2 : 1);
      return true;
    case INT:
      if (!Number.isSafeInteger(v)) return false;
      writeNumber(w, v as number);
      return true;
    case FLOAT64:
      if (typeof v !== 'number') return false;
      writeNumber(w, v);
      return true;
    case INT64:
      return typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX && writeBigint(w, v);
    case STRING:
      if (typeof v !== 'string') return false;
      w.u8(5);
      return w.str(v, 4, 0xffffffff) >= 0;
    case LIST: {
      if (!Array.isArray(v)) return false;
      const e = p.elem!;
      const arr = v as readonly Value[];
      const n = arr.length;
      w.u8(7);
      w.u32(n);
      for (let i = 0; i < n; i++) if (!(i in arr) || !write(w, e, arr[i]!)) return false;
      return true;
    }
    case MAP: {
      if (!isPlainObject(v)) return false;
      const e = p.elem!;
      const keys = Object.keys(v);
      w.u8(8);
      w.u32(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (w.str(k, 4, 0xffffffff) < 0 || !write(w, e, v[k]!)) return false;
      }
      return true;
    }
    default:
      return writeRecord(w, p.record!, v);
  }
}

/** A few bytes: a loop beats `TypedArray#set` at this size. */
function putBytes(w: ByteWriter, src: Uint8Array): void {
  const n = src.length;
  w.ensure(n);
  const b = w.buf;
  const p = w.pos;
  for (let i = 0; i < n; i++) b[p + i] = src[i]!;
  w.pos = p + n;
}

function isPlainObject(v: Value): v is Obj {
  if (!isObject(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function writeRecord(w: ByteWriter, r: RecordPlan, v: Value): boolean {
  if (!isPlainObject(v)) return false;
  const s = ++stamp;
  const keys = Object.keys(v);
  w.u8(8);
  w.u32(keys.length);
  let required = 0;
  let guess = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const fi = fieldIndex(r, k, guess);
    if (fi < 0) return false; // unknown field
    guess = fi + 1;
    r.seen[fi] = s;
    const fv = v[k];
    // undefined: absent to the schema but not a Value to the writer
    if (fv === undefined) return false;
    putBytes(w, r.nameBytes[fi]!);
    if (fv === null) {
      if (!r.nullable[fi]) return false;
      w.u8(0);
      continue;
    }
    if (r.required[fi]) required++;
    if (!write(w, r.plans[fi]!, fv)) return false;
  }
  return required === r.requiredCount && restAbsent(r, v, keys.length, s);
}
