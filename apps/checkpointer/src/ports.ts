/**
 * The message bus the checkpointer speaks over (NATS in production, an
 * in-memory bus in tests and embedded mode). Headers carry the W3C trace
 * context. Object storage is the ObjectStore port of @ripple/object-store.
 */
export type Headers = Readonly<Record<string, string>>;

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Headers;
  /** present on requests: sends the reply */
  respond?(data: Uint8Array, headers?: Headers): void;
}

export interface MessageBus {
  publish(subject: string, data: Uint8Array, headers?: Headers): void;
  /** returns the unsubscribe function */
  subscribe(subject: string, handler: (m: BusMessage) => void): () => void;
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: Headers): Promise<BusMessage>;
  /** resolves once everything published so far reached the server */
  flush(): Promise<void>;
  /** false while the connection to the server is down */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Structured logger (injected; no console in library code). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
