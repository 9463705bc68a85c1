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
 */
import type { Value } from './value-codec.ts';

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

/** Deepest nesting of list/map/record types accepted (definition and decoding). */
export const MAX_TYPE_DEPTH = 32;

/** Wire tags of the primitive types in canonical bytes (index = tag). */
export const TAG_PRIMITIVE: readonly (PrimitiveType | undefined)[] = [
  undefined,
  'bool',
  'int',
  'float64',
  'int64',
  'timestamp_ns',
  'string',
];

/** The field named `name`, if any (a linear scan: field lists are short). */
export function findField(fields: readonly FieldDef[], name: string): FieldDef | undefined {
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === name) return fields[i];
  return undefined;
}

/** The wire tag of a primitive type (undefined for a name that is not one). A switch, not a keyed
 * lookup: internalized-string compares stay monomorphic. */
export function primitiveTag(t: PrimitiveType): number {
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
