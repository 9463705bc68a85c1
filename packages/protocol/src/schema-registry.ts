import { UnknownSchemaError } from './errors.ts';
import type { Schema } from './schema-types.ts';

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
