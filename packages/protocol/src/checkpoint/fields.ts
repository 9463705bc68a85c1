/**
 * Field readers for the JSON checkpoint documents: each throws an
 * InvalidCheckpointFieldError naming the document and the field's path, so a
 * refusal says exactly what was wrong and where.
 */
import { INT64_MAX, INT64_MIN } from '@ripple/core';
import type { KafkaOffset } from '../control/messages.ts';
import { type CheckpointDocument, InvalidCheckpointFieldError } from './errors.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const DECIMAL = /^-?(0|[1-9][0-9]{0,18})$/;
export const MAX_KEY_CHARS = 1024;
export const MAX_ITEMS = 1 << 16;

export type JsonObject = Record<string, unknown>;

export function isJsonObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class FieldReader {
  readonly doc: CheckpointDocument;
  readonly raw: JsonObject;
  readonly path: string;

  constructor(doc: CheckpointDocument, raw: JsonObject, path = '') {
    this.doc = doc;
    this.raw = raw;
    this.path = path;
  }

  at(k: string): string {
    return this.path === '' ? k : `${this.path}.${k}`;
  }

  fail(k: string, detail: string): never {
    throw new InvalidCheckpointFieldError(this.doc, this.at(k), detail);
  }

  has(k: string): boolean {
    return this.raw[k] !== undefined;
  }

  object(k: string): FieldReader {
    const v = this.raw[k];
    if (!isJsonObject(v)) this.fail(k, 'is not an object');
    return new FieldReader(this.doc, v, this.at(k));
  }

  int(k: string, min: number, max: number): number {
    const v = this.raw[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(k, `is not an integer in [${min}, ${max}]`);
    return v;
  }

  count(k: string): number {
    return this.int(k, 0, Number.MAX_SAFE_INTEGER);
  }

  partition(k: string): number {
    return this.int(k, 0, 0xfffffffe);
  }

  u32(k: string): number {
    return this.int(k, 0, 0xffffffff);
  }

  id(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || !ID.test(v)) this.fail(k, 'is not an id ([A-Za-z0-9_-]{1,64})');
    return v;
  }

  /** an object key: 1..1024 chars, no control characters, no empty or dot segments */
  key(k: string): string {
    const v = this.raw[k];
    if (!isObjectKey(v))
      this.fail(k, `is not an object key (1..${MAX_KEY_CHARS} printable chars, clean segments)`);
    return v;
  }

  fingerprint(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || !HEX16.test(v))
      this.fail(k, 'is not a fingerprint (16 lowercase hex digits)');
    return v;
  }

  int64(k: string): bigint {
    const v = this.raw[k];
    if (typeof v !== 'string' || !DECIMAL.test(v)) this.fail(k, 'is not an int64 decimal string');
    const b = BigInt(v);
    if (b < INT64_MIN || b > INT64_MAX) this.fail(k, 'is out of the int64 range');
    return b;
  }

  oneOf<const T extends string>(k: string, values: readonly T[]): T {
    const v = this.raw[k];
    if (!values.includes(v as T)) this.fail(k, `is not one of ${values.join(', ')}`);
    return v as T;
  }

  list<T>(k: string, each: (item: FieldReader | unknown, path: string) => T, max = MAX_ITEMS): T[] {
    const v = this.raw[k];
    if (!Array.isArray(v) || v.length > max) this.fail(k, `is not an array of at most ${max} items`);
    return v.map((x, i) => each(x, `${this.at(k)}[${i}]`));
  }

  objects<T>(k: string, each: (item: FieldReader) => T, max = MAX_ITEMS): T[] {
    return this.list(
      k,
      (x, p) => {
        if (!isJsonObject(x)) throw new InvalidCheckpointFieldError(this.doc, p, 'is not an object');
        return each(new FieldReader(this.doc, x, p));
      },
      max,
    );
  }

  offsets(k: string): KafkaOffset[] {
    return this.objects(k, (g) => ({
      topic: g.str('topic'),
      partition: g.partition('partition'),
      offset: g.int64('offset'),
    }));
  }

  str(k: string): string {
    const v = this.raw[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_KEY_CHARS)
      this.fail(k, `is not a string of 1..${MAX_KEY_CHARS} chars`);
    return v;
  }
}

export function isObjectKey(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_KEY_CHARS) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(v)) return false;
  return v.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
