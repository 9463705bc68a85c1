/**
 * Value types of config keys: each parses the raw text (an environment
 * variable, a config-file value, or the key's default) into a typed value or
 * throws a plain Error whose message is the detail (the loader wraps it into
 * an InvalidConfigError naming the key and variable), and describes itself
 * for docs/config.md.
 */
export interface ValueType<T> {
  /** How docs/config.md describes the accepted values. */
  readonly describe: string;
  parse(raw: string): T;
  /** The value as --print-config shows it. */
  format(value: T): string;
}

const fail = (detail: string): never => {
  throw new Error(detail);
};
const q = (s: string) => JSON.stringify(s);

/** Any text; with `pattern`, text matching it (`what` says what it must be). */
export function text(pattern?: RegExp, what?: string): ValueType<string> {
  return {
    describe: what ?? (pattern === undefined ? 'text' : `text matching ${pattern.source}`),
    parse: (raw) =>
      pattern === undefined || pattern.test(raw) ? raw : fail(`${q(raw)} is not ${what ?? pattern.source}`),
    format: (v) => v,
  };
}

/** An identifier: cluster names, member ids (NATS subject tokens). */
export const identifier = text(/^[A-Za-z0-9_-]{1,64}$/, '[A-Za-z0-9_-]{1,64}');

export function integer(min: number, max: number): ValueType<number> {
  return {
    describe: `integer ${min}..${max}`,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) fail(`${q(raw)} is not an integer`);
      const v = Number(raw);
      return v < min || v > max ? fail(`${v} is outside [${min}, ${max}]`) : v;
    },
    format: String,
  };
}

/** A non-negative decimal number (seconds accept fractions: tests run 0.1 s heartbeats). */
export function decimal(min: number, max: number, unit?: string): ValueType<number> {
  return {
    describe: `number ${min}..${max}${unit === undefined ? '' : ` (${unit})`}`,
    parse: (raw) => {
      if (!/^\d+(\.\d+)?$/.test(raw.trim()))
        fail(`${q(raw)} is not a number${unit === undefined ? '' : ` of ${unit}`}`);
      const v = Number(raw);
      return v < min || v > max ? fail(`${v} is outside [${min}, ${max}]`) : v;
    },
    format: String,
  };
}

export const port = integer(0, 65_535);

export function oneOf<const T extends string>(allowed: readonly T[]): ValueType<T> {
  return {
    describe: `one of ${allowed.join(', ')}`,
    parse: (raw) =>
      (allowed as readonly string[]).includes(raw)
        ? (raw as T)
        : fail(`${q(raw)} is not one of ${allowed.join(', ')}`),
    format: (v) => v,
  };
}

export const boolean: ValueType<boolean> = {
  describe: 'true, false, 1 or 0',
  parse: (raw) =>
    raw === 'true' || raw === '1'
      ? true
      : raw === 'false' || raw === '0'
        ? false
        : fail(`${q(raw)} is not true/false`),
  format: String,
};

/**
 * A duration as text (`60s`, `500ms`, `1m`, `1h`; the grammar of
 * @ripple/stream's parseDuration, which the app applies: this package does
 * not depend on the stream layer, since the coordinator may not).
 */
export const durationText: ValueType<string> = {
  describe: 'duration (60s, 500ms, 1m, 1h)',
  parse: (raw) =>
    /^\d+(\.\d+)?(ns|us|ms|s|m|h)?$/.test(raw.trim())
      ? raw.trim()
      : fail(`${q(raw)} is not a duration (e.g. 60s, 500ms, 1m)`),
  format: (v) => v,
};

/** An http(s) URL (S3 endpoint, OTLP endpoint). */
export const httpUrl = text(/^https?:\/\/[^\s]+$/, 'an http(s) URL');

/** Comma-separated `host:port` list (Kafka bootstrap brokers). */
export const hostPortList: ValueType<readonly string[]> = {
  describe: 'comma-separated host:port list',
  parse: (raw) => {
    const list = raw
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== '');
    for (const b of list) if (!/^[^:\s]+:\d{1,5}$/.test(b)) fail(`${q(b)} is not host:port`);
    return list;
  },
  format: (v) => v.join(','),
};

/**
 * NATS servers: comma-separated nats://, tls://, ws://, wss:// URLs, or
 * `ripple-hub:<socket>` (the embedded cluster's hub, `pnpm start`).
 */
export const natsUrls: ValueType<string> = {
  describe: 'comma-separated nats:// (tls://, ws://, wss://) URLs, or ripple-hub:<socket>',
  parse: (raw) => {
    if (raw.startsWith('ripple-hub:/')) return raw;
    for (const u of raw.split(','))
      if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(u.trim())) fail(`${q(u)} is not a nats:// URL`);
    return raw;
  },
  format: (v) => v,
};

/** An S3 bucket name. */
export const bucketName = text(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a valid bucket name');

/** A Kafka topic name. */
export const topicName = text(/^[A-Za-z0-9._-]{1,249}$/, 'a valid topic');

/** An object-key prefix without a leading slash, `//`, `\`, `.` or `..` segments. */
export const keyPrefix: ValueType<string> = {
  describe: 'object key prefix (no leading /, no // or .. segments)',
  parse: (raw) =>
    /^\/|\/\/|\\|(^|\/)\.\.?(\/|$)/.test(raw) ? fail(`${q(raw)} is not a clean key prefix`) : raw,
  format: (v) => v,
};

/** A positive decimal number (ratios). */
export const positiveNumber: ValueType<number> = {
  describe: 'number > 0',
  parse: (raw) => {
    const v = Number(raw);
    return /^\d+(\.\d+)?$/.test(raw.trim()) && v > 0 ? v : fail(`${q(raw)} is not a positive number`);
  },
  format: String,
};
