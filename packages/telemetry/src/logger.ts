/**
 * The process logger: pino, JSON lines on stderr (pretty with LOG_PRETTY=1 or
 * NODE_ENV=development), level from LOG_LEVEL (trace, debug, info, warn,
 * error, fatal, silent; info by default). A line written inside a span
 * carries its `trace_id` and `span_id`, so logs and Jaeger traces join. It
 * has the shape of every app's Logger port: `(msg, fields?)`.
 */
import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger as Pino, pino } from 'pino';
import pretty from 'pino-pretty';

export type LogFields = Record<string, unknown>;

export interface RippleLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** The same logger with more fixed fields. */
  child(fields: LogFields): RippleLogger;
  readonly level: string;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export interface LoggerOptions {
  /** Fixed fields of every line (`component`, `worker`, ...). */
  readonly fields: LogFields;
  readonly env?: NodeJS.ProcessEnv;
  /** Tests: write here instead of stderr. */
  readonly destination?: DestinationStream;
}

export class LogLevelError extends Error {
  readonly code = 'invalid_log_level';
  readonly retryable = false;
  constructor(value: string) {
    super(`LOG_LEVEL: ${JSON.stringify(value)} is not one of ${[...LEVELS].join(', ')}`);
  }
}

/** The level LOG_LEVEL names (info when unset); a LogLevelError for anything else. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const v = (env.LOG_LEVEL ?? '').trim().toLowerCase();
  if (v === '') return 'info';
  if (!LEVELS.has(v)) throw new LogLevelError(env.LOG_LEVEL ?? '');
  return v;
}

/** Trace context of the active span, for the line being written. */
function traceFields(): LogFields {
  const sc = trace.getActiveSpan()?.spanContext();
  if (sc === undefined || !trace.isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

export function createLogger(o: LoggerOptions): RippleLogger {
  const env = o.env ?? process.env;
  const level = logLevel(env);
  const prettyOut = env.LOG_PRETTY === '1' || env.NODE_ENV === 'development';
  // Synchronous writes: the last lines before process.exit are never lost.
  const destination =
    o.destination ??
    (prettyOut
      ? pretty({ destination: 2, sync: true, ignore: 'pid,hostname', timestampKey: 'ts' })
      : pino.destination({ fd: 2, sync: true }));
  const root = pino(
    {
      level,
      base: null,
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    destination,
  );
  return wrap(root.child(o.fields));
}

function wrap(p: Pino): RippleLogger {
  return {
    debug: (msg, f) => p.debug(f ?? {}, msg),
    info: (msg, f) => p.info(f ?? {}, msg),
    warn: (msg, f) => p.warn(f ?? {}, msg),
    error: (msg, f) => p.error(f ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
    get level() {
      return p.level;
    },
  };
}
