/**
 * Ports of the checkpointer besides the ones it shares: the message bus is
 * @ripple/cluster's ControlBus (NATS through @ripple/cluster-nats, in-memory
 * in tests; headers carry the W3C trace context) and object storage is
 * @ripple/object-store's ObjectStore.
 */
/** Structured logger (injected; no console in library code). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
