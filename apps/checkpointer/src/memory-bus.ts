import type { BusMessage, Headers, MessageBus } from './ports.ts';

/**
 * In-process bus with NATS subject matching (`*` one token, `>` the rest).
 * Delivery is asynchronous (a microtask) like a real bus, and every message
 * is copied, so nothing relies on shared references.
 */
export class MemoryBus implements MessageBus {
  private readonly subs = new Set<{ pattern: string[]; handler: (m: BusMessage) => void }>();
  readonly connected = true;
  private closed = false;

  publish(subject: string, data: Uint8Array, headers: Headers = {}): void {
    this.deliver({ subject, data: data.slice(), headers: { ...headers } });
  }

  private deliver(m: BusMessage): number {
    if (this.closed) return 0;
    const tokens = m.subject.split('.');
    let n = 0;
    for (const s of [...this.subs]) {
      if (!matches(s.pattern, tokens)) continue;
      n++;
      queueMicrotask(() => s.handler(m));
    }
    return n;
  }

  subscribe(subject: string, handler: (m: BusMessage) => void): () => void {
    const s = { pattern: subject.split('.'), handler };
    this.subs.add(s);
    return () => this.subs.delete(s);
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers: Headers = {}): Promise<BusMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`request ${subject}: timeout after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const n = this.deliver({
        subject,
        data: data.slice(),
        headers: { ...headers },
        respond: (reply, replyHeaders = {}) => {
          clearTimeout(timer);
          resolve({ subject: `${subject}.reply`, data: reply.slice(), headers: { ...replyHeaders } });
        },
      });
      if (n === 0) {
        clearTimeout(timer);
        reject(new Error(`request ${subject}: no responders`));
      }
    });
  }

  async flush(): Promise<void> {
    await new Promise<void>((r) => setTimeout(r, 0));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
  }
}

function matches(pattern: readonly string[], tokens: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return tokens.length > i;
    if (i >= tokens.length) return false;
    if (p !== '*' && p !== tokens[i]) return false;
  }
  return pattern.length === tokens.length;
}
