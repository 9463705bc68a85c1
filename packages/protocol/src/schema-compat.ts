/**
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
import { type CompatibilityIssue, SchemaIncompatibleError } from './errors.ts';
import { type FieldDef, type FieldType, findField, type Schema } from './schema-types.ts';

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly issues: readonly CompatibilityIssue[];
}

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
