/**
 * The schema handshake: a `Schema` frame announces a schema (its canonical
 * bytes) before data that uses its fingerprint; the receiver registers it.
 */
import { type DecodeFrameOptions, decodeFrame, encodeFrame, MessageType } from './envelope.ts';
import { MalformedPayloadError, UnexpectedMessageError } from './errors.ts';
import { decodeSchema } from './schema.ts';
import type { Schema } from './schema-types.ts';

export function encodeSchemaFrame(schema: Schema, options: { readonly sequence: number }): Uint8Array {
  return encodeFrame(
    {
      type: MessageType.Schema,
      flags: 0,
      sequence: options.sequence,
      eventTimeNs: 0n,
      fingerprint: schema.fingerprint,
    },
    schema.canonical,
  );
}

/** Decodes a `Schema` frame; the schema's own fingerprint must equal the frame's. */
export function decodeSchemaFrame(bytes: Uint8Array, options?: DecodeFrameOptions): Schema {
  const f = decodeFrame(bytes, options);
  if (f.type !== MessageType.Schema)
    throw new UnexpectedMessageError(`expected a schema frame, got type ${f.type}`, 5);
  const schema = decodeSchema(f.payload);
  if (schema.fingerprint !== f.fingerprint) {
    throw new MalformedPayloadError('schema bytes do not hash to the frame fingerprint', 24);
  }
  return schema;
}
