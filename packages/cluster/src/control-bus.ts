/**
 * The control-bus port: subject-addressed messages with headers (W3C trace
 * context travels in them), publish/subscribe and request/reply. Adapters:
 * `MemoryBus` (tests, embedded mode) and the NATS adapter in
 * @ripple/cluster-nats. Subjects follow NATS rules: tokens separated by `.`,
 * `*` matches one token, `>` the rest.
 *
 * Handlers must not throw; an adapter logs and counts a handler that does.
 */
export type BusHeaders = Readonly<Record<string, string>>;

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: BusHeaders;
  /** answer a request; undefined for a plain publish */
  readonly respond?: (data: Uint8Array, headers?: BusHeaders) => void;
}

export interface BusSubscription {
  unsubscribe(): void;
}

export interface ControlBus {
  publish(subject: string, data: Uint8Array, headers?: BusHeaders): void;
  subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription;
  /** rejects with BusUnavailableError on timeout or when nobody answers */
  request(
    subject: string,
    data: Uint8Array,
    options: { timeoutMs: number; headers?: BusHeaders },
  ): Promise<BusMessage>;
  /** resolves once everything published so far has reached the server (NATS) or the handlers (memory) */
  flush(): Promise<void>;
}

/** True if a concrete subject matches a subscription pattern with `*` / `>`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return p.length === s.length;
}
