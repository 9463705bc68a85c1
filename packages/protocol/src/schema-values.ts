/**
 * Values against schemas: does a value conform (`validateValue`, with the
 * path of the first problem), and reading data written with one schema as
 * another (`resolveValue`: defaults filled in, dropped fields removed, lossless
 * promotions applied).
 */
import { INT64_MAX, INT64_MIN } from './bytes.ts';
import { SchemaViolationError } from './errors.ts';
import { assertCompatible } from './schema-compat.ts';
import { conformsTo } from './schema-plan.ts';
import { type FieldDef, type FieldType, findField, type Schema } from './schema-types.ts';
import type { Value } from './value-codec.ts';

/** Throws SchemaViolationError unless `value` is a record conforming to `schema`. */
export function validateValue(schema: Schema, value: Value): void {
  // the common case builds no paths; a failure walks again with paths to name the problem
  if (conformsTo(schema, value)) return;
  const problem = violationOf(schema, value);
  if (problem !== undefined) throw new SchemaViolationError(schema.id, problem.path, problem.detail);
}

/** The first violation, with its path, by the reference walk (internal: errors and tests). */
export function violationOf(schema: Schema, value: Value): Problem | undefined {
  return conformance({ record: schema.fields }, value, '');
}

export interface Problem {
  readonly path: string;
  readonly detail: string;
}

export function conformance(t: FieldType, v: Value, path: string): Problem | undefined {
  switch (t) {
    case 'bool':
      return typeof v === 'boolean' ? undefined : { path, detail: 'expected a boolean' };
    case 'int':
      return Number.isSafeInteger(v) ? undefined : { path, detail: 'expected a safe integer' };
    case 'float64':
      return typeof v === 'number' ? undefined : { path, detail: 'expected a number' };
    case 'int64':
    case 'timestamp_ns':
      return typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX
        ? undefined
        : { path, detail: 'expected an int64 bigint' };
    case 'string':
      return typeof v === 'string' ? undefined : { path, detail: 'expected a string' };
  }
  if ('list' in t) {
    if (!Array.isArray(v)) return { path, detail: 'expected an array' };
    for (let i = 0; i < v.length; i++) {
      const p = conformance(t.list, v[i] as Value, `${path}[${i}]`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (!isRecord(v)) return { path, detail: 'expected an object' };
  if ('map' in t) {
    for (const k of Object.keys(v)) {
      const p = conformance(t.map, v[k]!, `${path}{${k}}`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const f of t.record) {
    const fv = Object.hasOwn(v, f.name) ? v[f.name] : undefined;
    const p = path === '' ? f.name : `${path}.${f.name}`;
    if (fv === undefined || fv === null) {
      if (f.optional === true || (fv === undefined && f.default !== undefined)) continue;
      return { path: p, detail: 'required field missing' };
    }
    const problem = conformance(f.type, fv, p);
    if (problem !== undefined) return problem;
  }
  for (const k of Object.keys(v)) {
    if (findField(t.record, k) === undefined)
      return { path: path === '' ? k : `${path}.${k}`, detail: 'unknown field' };
  }
  return undefined;
}

function isRecord(v: Value): v is { readonly [k: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Converts a record written with `writer` to the shape of `reader`: drops
 * fields the reader does not have, fills defaults, applies promotions
 * (int -> int64 becomes a bigint). Throws SchemaIncompatibleError when the
 * schemas are incompatible, SchemaViolationError when the value does not
 * conform to `writer`.
 */
export function resolveValue(reader: Schema, writer: Schema, value: Value): Value {
  validateValue(writer, value);
  if (reader.fingerprint === writer.fingerprint) return value;
  assertCompatible(reader, writer);
  return resolveRecord(reader.fields, writer.fields, value as { readonly [k: string]: Value });
}

function resolveRecord(
  reader: readonly FieldDef[],
  writer: readonly FieldDef[],
  v: { readonly [k: string]: Value },
): { [k: string]: Value } {
  const out: { [k: string]: Value } = {};
  for (const rf of reader) {
    const wf = findField(writer, rf.name);
    const fv = wf === undefined || !Object.hasOwn(v, rf.name) ? undefined : v[rf.name];
    if (fv === undefined || fv === null) {
      if (rf.default !== undefined) out[rf.name] = rf.default;
      else if (fv === null) out[rf.name] = null;
      continue;
    }
    out[rf.name] = resolveTyped(rf.type, wf!.type, fv);
  }
  return out;
}

function resolveTyped(r: FieldType, w: FieldType, v: Value): Value {
  if (typeof r === 'string') return r === 'int64' && w === 'int' ? BigInt(v as number) : v;
  if (typeof w === 'string') return v;
  if ('list' in r && 'list' in w) return (v as readonly Value[]).map((x) => resolveTyped(r.list, w.list, x));
  if ('map' in r && 'map' in w) {
    const out: { [k: string]: Value } = {};
    for (const [k, x] of Object.entries(v as { readonly [k: string]: Value }))
      out[k] = resolveTyped(r.map, w.map, x);
    return out;
  }
  if ('record' in r && 'record' in w)
    return resolveRecord(r.record, w.record, v as { readonly [k: string]: Value });
  return v;
}
