/**
 * Schemas as values: a name, a version and typed fields, with a 64-bit
 * fingerprint of their canonical bytes and a reader/writer compatibility
 * check. Schemas travel with data (a `Schema` frame in the handshake, the
 * fingerprint in every envelope) and inside snapshots.
 *
 * Field types and the `Value` each accepts:
 *   bool -> boolean; int -> safe integer number; float64 -> number;
 *   int64, timestamp_ns -> bigint in [-2^63, 2^63); string -> string;
 *   { list: T } -> array of T; { map: T } -> object with string keys -> T;
 *   { record: fields } -> object with those fields.
 * An optional field may be absent or null. A default is used by `resolveValue`
 * when the writer's data lacks the field.
 *
 * Compatibility (directional: can data written with `writer` be read as
 * `reader`?). Rules, applied to records recursively:
 *   1. the names must be equal (`name_differs`);
 *   2. the same name and version with a different fingerprint is a conflict
 *      (`same_version_differs`): versions identify a schema;
 *   3. a reader field missing from the writer needs `optional` or a `default`
 *      (`required_field_added`); adding an optional field is compatible;
 *   4. a writer field missing from the reader is dropped (removing a field is
 *      compatible for new readers of old data);
 *   5. a field in both needs the same type, or a lossless promotion:
 *      int -> float64, int -> int64, int64 <-> timestamp_ns; lists and maps
 *      compare their element types (`type_changed`);
 *   6. an optional writer field read as a required reader field without a
 *      default is refused (`optional_became_required`).
 * Field order is part of the fingerprint but not of compatibility.
 */
import { ByteWriter, INT64_MAX, INT64_MIN, Reader } from './bytes.ts';
import {
  type CompatibilityIssue,
  formatFingerprint,
  InvalidSchemaError,
  MalformedPayloadError,
  SchemaIncompatibleError,
  SchemaViolationError,
  UnknownSchemaError,
} from './errors.ts';
import { conformsTo } from './schema-plan.ts';
import { readValue, type Value, writeValue } from './value-codec.ts';

export type PrimitiveType = 'bool' | 'int' | 'float64' | 'int64' | 'timestamp_ns' | 'string';
export type FieldType =
  | PrimitiveType
  | { readonly list: FieldType }
  | { readonly map: FieldType }
  | { readonly record: readonly FieldDef[] };

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly optional?: boolean;
  readonly default?: Value;
}

export interface SchemaDef {
  readonly name: string;
  readonly version: number;
  readonly fields: readonly FieldDef[];
}

/** A validated, frozen schema with its identity. */
export interface Schema extends SchemaDef {
  readonly fingerprint: bigint;
  /** canonical bytes: what is hashed, sent in a handshake and stored in snapshots */
  readonly canonical: Uint8Array;
  /** "name@version#fingerprint", for messages and logs */
  readonly id: string;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly issues: readonly CompatibilityIssue[];
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_TYPE_DEPTH = 32;
const MAX_FIELDS = 1024;
const PRIMITIVE_TAG: Record<PrimitiveType, number> = {
  bool: 1,
  int: 2,
  float64: 3,
  int64: 4,
  timestamp_ns: 5,
  string: 6,
};
const TAG_PRIMITIVE: readonly (PrimitiveType | undefined)[] = [
  undefined,
  'bool',
  'int',
  'float64',
  'int64',
  'timestamp_ns',
  'string',
];

/** Validates a definition and returns the frozen schema with its fingerprint. */
export function defineSchema(def: SchemaDef): Schema {
  if (typeof def?.name !== 'string' || !SCHEMA_NAME.test(def.name)) {
    throw new InvalidSchemaError('name', `${JSON.stringify(def?.name)} is not a schema name`);
  }
  if (!Number.isInteger(def.version) || def.version < 1 || def.version > 0x7fffffff) {
    throw new InvalidSchemaError('version', `${def.version} is not an integer in [1, 2^31)`);
  }
  const fields = checkFields(def.fields, def.name, 0);
  const canonical = canonicalBytes({ name: def.name, version: def.version, fields });
  const fingerprint = hash64(canonical, 0, canonical.length);
  return Object.freeze({
    name: def.name,
    version: def.version,
    fields,
    fingerprint,
    canonical,
    id: `${def.name}@${def.version}#${formatFingerprint(fingerprint)}`,
  });
}

function checkFields(fields: readonly FieldDef[], path: string, depth: number): readonly FieldDef[] {
  if (!Array.isArray(fields)) throw new InvalidSchemaError(path, 'fields is not an array');
  if (fields.length > MAX_FIELDS) throw new InvalidSchemaError(path, `more than ${MAX_FIELDS} fields`);
  const seen = new Set<string>();
  const out: FieldDef[] = [];
  for (const f of fields) {
    if (typeof f?.name !== 'string' || !FIELD_NAME.test(f.name)) {
      throw new InvalidSchemaError(path, `${JSON.stringify(f?.name)} is not a field name`);
    }
    const fp = `${path}.${f.name}`;
    if (seen.has(f.name)) throw new InvalidSchemaError(fp, 'duplicate field name');
    seen.add(f.name);
    const type = checkType(f.type, fp, depth);
    if (f.optional !== undefined && typeof f.optional !== 'boolean') {
      throw new InvalidSchemaError(fp, 'optional must be a boolean');
    }
    const field: { name: string; type: FieldType; optional?: boolean; default?: Value } = {
      name: f.name,
      type,
    };
    if (f.optional === true) field.optional = true;
    if (f.default !== undefined) {
      const problem = conformance(type, f.default, '');
      if (problem !== undefined)
        throw new InvalidSchemaError(fp, `default does not match the type: ${problem}`);
      field.default = f.default;
    }
    out.push(Object.freeze(field));
  }
  return Object.freeze(out);
}

function checkType(t: FieldType, path: string, depth: number): FieldType {
  if (depth > MAX_TYPE_DEPTH)
    throw new InvalidSchemaError(path, `types nested deeper than ${MAX_TYPE_DEPTH}`);
  if (typeof t === 'string') {
    if (PRIMITIVE_TAG[t] === undefined)
      throw new InvalidSchemaError(path, `unknown type ${JSON.stringify(t)}`);
    return t;
  }
  if (t !== null && typeof t === 'object') {
    const keys = Object.keys(t);
    if (keys.length === 1 && 'list' in t)
      return Object.freeze({ list: checkType(t.list, `${path}[]`, depth + 1) });
    if (keys.length === 1 && 'map' in t)
      return Object.freeze({ map: checkType(t.map, `${path}{}`, depth + 1) });
    if (keys.length === 1 && 'record' in t)
      return Object.freeze({ record: checkFields(t.record, path, depth + 1) });
  }
  throw new InvalidSchemaError(path, 'type is not a primitive name, { list }, { map } or { record }');
}

// ---------------------------------------------------------------- canonical bytes
//
// schema = u8 1, u16-str name, u32 version, fields
// fields = u16 count, field*
// field  = u16-str name, u8 flags (1 optional, 2 has default), type, [value default]
// type   = u8 1..6 primitive | 7 type (list) | 8 type (map) | 9 fields (record)

const scratch = new ByteWriter(512);

/** Canonical bytes of a definition (not validated: use `defineSchema`). Owned copy. */
export function canonicalBytes(def: SchemaDef): Uint8Array {
  scratch.reset();
  writeCanonical(scratch, def);
  return scratch.copy();
}

function writeCanonical(w: ByteWriter, def: SchemaDef): void {
  w.u8(1);
  w.str(def.name, 2, 0xffff);
  w.u32(def.version);
  writeFields(w, def.fields);
}

function writeFields(w: ByteWriter, fields: readonly FieldDef[]): void {
  w.u16(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    w.str(f.name, 2, 0xffff);
    w.u8((f.optional === true ? 1 : 0) | (f.default !== undefined ? 2 : 0));
    writeType(w, f.type);
    if (f.default !== undefined) writeValue(w, f.default);
  }
}

/** A switch, not a keyed lookup: internalized-string compares stay monomorphic. */
function primitiveTag(t: PrimitiveType): number {
  switch (t) {
    case 'bool':
      return 1;
    case 'int':
      return 2;
    case 'float64':
      return 3;
    case 'int64':
      return 4;
    case 'timestamp_ns':
      return 5;
    case 'string':
      return 6;
  }
}

function writeType(w: ByteWriter, t: FieldType): void {
  if (typeof t === 'string') w.u8(primitiveTag(t));
  else if ('list' in t) {
    w.u8(7);
    writeType(w, t.list);
  } else if ('map' in t) {
    w.u8(8);
    writeType(w, t.map);
  } else {
    w.u8(9);
    writeFields(w, t.record);
  }
}

/**
 * The fingerprint of a definition: 64-bit hash of its canonical bytes
 * (no validation, no allocation beyond the bigint result).
 */
export function fingerprintOf(def: SchemaDef): bigint {
  scratch.reset();
  writeCanonical(scratch, def);
  return hash64(scratch.buf, 0, scratch.pos);
}

/** The fingerprint of canonical bytes as received (a handshake): the hash alone. */
export function fingerprintOfCanonical(canonical: Uint8Array): bigint {
  return hash64(canonical, 0, canonical.length);
}

/** Decodes canonical bytes (a handshake or snapshot) into a validated schema. */
export function decodeSchema(bytes: Uint8Array, start = 0, end = bytes.length): Schema {
  const r = new Reader(bytes, start, end, 'schema');
  const schema = readSchema(r);
  r.done();
  return schema;
}

/** Reads one canonical schema from the reader (used inside snapshots). */
export function readSchema(r: Reader): Schema {
  const start = r.pos;
  const def = readCanonical(r);
  try {
    return defineSchema(def);
  } catch (cause) {
    throw new MalformedPayloadError(
      `schema bytes describe an invalid schema: ${(cause as Error).message}`,
      start,
      {
        cause,
      },
    );
  }
}

function readCanonical(r: Reader): SchemaDef {
  const at = r.pos;
  const v = r.u8();
  if (v !== 1) throw new MalformedPayloadError(`unknown schema encoding ${v}`, at);
  const name = r.str(2);
  const version = r.u32();
  return { name, version, fields: readFields(r, 0) };
}

function readFields(r: Reader, depth: number): FieldDef[] {
  const n = r.u16();
  r.need(n * 4);
  const out: FieldDef[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.str(2);
    const at = r.pos;
    const flags = r.u8();
    if (flags > 3) throw new MalformedPayloadError(`unknown field flags ${flags}`, at);
    const type = readType(r, depth);
    const f: { name: string; type: FieldType; optional?: boolean; default?: Value } = { name, type };
    if (flags & 1) f.optional = true;
    if (flags & 2) f.default = readValue(r);
    out.push(f);
  }
  return out;
}

function readType(r: Reader, depth: number): FieldType {
  const at = r.pos;
  if (depth > MAX_TYPE_DEPTH) throw new MalformedPayloadError('schema types nested too deep', at);
  const tag = r.u8();
  const p = TAG_PRIMITIVE[tag];
  if (p !== undefined) return p;
  if (tag === 7) return { list: readType(r, depth + 1) };
  if (tag === 8) return { map: readType(r, depth + 1) };
  if (tag === 9) return { record: readFields(r, depth + 1) };
  throw new MalformedPayloadError(`unknown schema type tag ${tag}`, at);
}

// ---------------------------------------------------------------- fingerprint hash

/**
 * 64-bit non-cryptographic hash: two 32-bit multiply-rotate lanes over
 * little-endian words (Murmur3-style mixing), cross-mixed and finalized.
 * Identity, not authentication (see the decision record for the width).
 */
export function hash64(b: Uint8Array, start: number, end: number): bigint {
  const len = end - start;
  let h1 = 0x9747b28c ^ len;
  let h2 = 0x85ebca6b ^ len;
  let i = start;
  const last = end - 4;
  while (i <= last) {
    const k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    let k1 = Math.imul(k, 0xcc9e2d51);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, 0x1b873593);
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k, 0x239b961b);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, 0xab0e9789);
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2, 5) + 0x38b34ae5) | 0;
    i += 4;
  }
  let t = 0;
  for (let s = 0; i < end; i++, s += 8) t |= b[i]! << s;
  h1 ^= Math.imul(((Math.imul(t, 0xcc9e2d51) << 15) | 0) ^ t, 0x1b873593);
  h2 ^= Math.imul(t ^ 0x5bd1e995, 0xab0e9789);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  hashOut32[0] = h1;
  hashOut32[1] = h2;
  return hashOut64[0]!;
}

// little-endian host (checked in bytes.ts): [lo, hi] u32 halves read as one u64, one bigint allocation
const hashOut32 = new Uint32Array(2);
const hashOut64 = new BigUint64Array(hashOut32.buffer);

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

// ---------------------------------------------------------------- compatibility

const NO_ISSUES: readonly CompatibilityIssue[] = Object.freeze([]);

/** Can data written with `writer` be read as `reader`? Rules in the module comment. */
export function checkCompatibility(reader: Schema, writer: Schema): CompatibilityResult {
  if (reader.fingerprint === writer.fingerprint) return COMPATIBLE;
  let issues: CompatibilityIssue[] | undefined;
  if (reader.name !== writer.name) {
    issues = [
      { path: '', rule: 'name_differs', detail: `reader is ${reader.name}, writer is ${writer.name}` },
    ];
  } else if (reader.version === writer.version) {
    issues = [
      {
        path: '',
        rule: 'same_version_differs',
        detail: `two different schemas claim ${reader.name}@${reader.version}`,
      },
    ];
  } else {
    issues = compareFields(reader.fields, writer.fields, '', issues);
  }
  return issues === undefined ? COMPATIBLE : { compatible: false, issues };
}

const COMPATIBLE: CompatibilityResult = Object.freeze({ compatible: true, issues: NO_ISSUES });

/** Throws SchemaIncompatibleError unless `checkCompatibility(reader, writer)` is compatible. */
export function assertCompatible(reader: Schema, writer: Schema): void {
  const r = checkCompatibility(reader, writer);
  if (!r.compatible) throw new SchemaIncompatibleError(reader.id, writer.id, r.issues);
}

function compareFields(
  reader: readonly FieldDef[],
  writer: readonly FieldDef[],
  path: string,
  issues: CompatibilityIssue[] | undefined,
): CompatibilityIssue[] | undefined {
  for (let i = 0; i < reader.length; i++) {
    const rf = reader[i]!;
    // the same position first: schemas usually evolve by appending
    let wf = writer[i];
    if (wf === undefined || wf.name !== rf.name) wf = findField(writer, rf.name);
    const p = path === '' ? rf.name : `${path}.${rf.name}`;
    if (wf === undefined) {
      if (rf.optional !== true && rf.default === undefined) {
        issues = addIssue(issues, {
          path: p,
          rule: 'required_field_added',
          detail: 'required field absent from the writer, no default',
        });
      }
      continue;
    }
    issues = compareTypes(rf.type, wf.type, p, issues);
    if (wf.optional === true && rf.optional !== true && rf.default === undefined) {
      issues = addIssue(issues, {
        path: p,
        rule: 'optional_became_required',
        detail: 'optional in the writer, required in the reader',
      });
    }
  }
  return issues;
}

function addIssue(issues: CompatibilityIssue[] | undefined, issue: CompatibilityIssue): CompatibilityIssue[] {
  const out = issues ?? [];
  out.push(issue);
  return out;
}

function findField(fields: readonly FieldDef[], name: string): FieldDef | undefined {
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === name) return fields[i];
  return undefined;
}

function compareTypes(
  r: FieldType,
  w: FieldType,
  path: string,
  issues: CompatibilityIssue[] | undefined,
): CompatibilityIssue[] | undefined {
  if (typeof r === 'string' || typeof w === 'string') {
    if (r === w || promotes(w, r)) return issues;
  } else if ('list' in r && 'list' in w) return compareTypes(r.list, w.list, `${path}[]`, issues);
  else if ('map' in r && 'map' in w) return compareTypes(r.map, w.map, `${path}{}`, issues);
  else if ('record' in r && 'record' in w) return compareFields(r.record, w.record, path, issues);
  issues = addIssue(issues, {
    path,
    rule: 'type_changed',
    detail: `writer ${typeName(w)}, reader ${typeName(r)}`,
  });
  return issues;
}

function promotes(from: FieldType, to: FieldType): boolean {
  return (
    (from === 'int' && (to === 'float64' || to === 'int64')) ||
    (from === 'int64' && to === 'timestamp_ns') ||
    (from === 'timestamp_ns' && to === 'int64')
  );
}

function typeName(t: FieldType): string {
  if (typeof t === 'string') return t;
  if ('list' in t) return `list<${typeName(t.list)}>`;
  if ('map' in t) return `map<${typeName(t.map)}>`;
  return 'record';
}

// ---------------------------------------------------------------- values

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

function conformance(t: FieldType, v: Value, path: string): Problem | undefined {
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

// ---------------------------------------------------------------- registry

/** The schemas a receiver knows, by fingerprint. */
export class SchemaRegistry {
  readonly #byFingerprint = new Map<bigint, Schema>();

  constructor(schemas: Iterable<Schema> = []) {
    for (const s of schemas) this.register(s);
  }

  register(schema: Schema): void {
    this.#byFingerprint.set(schema.fingerprint, schema);
  }

  get(fingerprint: bigint): Schema | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  /** The schema, or UnknownSchemaError (retryable: the handshake may not have arrived yet). */
  require(fingerprint: bigint, offset = 24): Schema {
    const s = this.#byFingerprint.get(fingerprint);
    if (s === undefined) throw new UnknownSchemaError(fingerprint, offset);
    return s;
  }

  /** All versions known under `name`, oldest first. */
  versions(name: string): Schema[] {
    return [...this.#byFingerprint.values()]
      .filter((s) => s.name === name)
      .sort((a, b) => a.version - b.version);
  }
}
