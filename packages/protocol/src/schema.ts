/**
 * Defining a schema: validate a definition (names, types, defaults) and freeze
 * it with its identity (canonical bytes, fingerprint, id); decoding a schema
 * received as canonical bytes goes through the same validation. The type
 * vocabulary is in schema-types.ts, canonical bytes and fingerprints in
 * schema-canonical.ts, compatibility in schema-compat.ts, values in
 * schema-values.ts, the receiver's registry in schema-registry.ts.
 */

import { Reader } from './bytes.ts';
import { formatFingerprint, InvalidSchemaError, MalformedPayloadError } from './errors.ts';
import { canonicalBytes, hash64, readCanonical } from './schema-canonical.ts';
import {
  type FieldDef,
  type FieldType,
  MAX_TYPE_DEPTH,
  type PrimitiveType,
  type Schema,
  type SchemaDef,
} from './schema-types.ts';
import { conformance } from './schema-values.ts';
import type { Value } from './value-codec.ts';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_FIELDS = 1024;
const PRIMITIVE_TAG: Record<PrimitiveType, number> = {
  bool: 1,
  int: 2,
  float64: 3,
  int64: 4,
  timestamp_ns: 5,
  string: 6,
};

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
