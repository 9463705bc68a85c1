import {
  type BusHeaders,
  type BusMessage,
  type BusSubscription,
  type ControlBus,
  subjectMatches,
} from './control-bus.ts';
import { BusUnavailableError } from './errors.ts';

/**
 * In-process ControlBus. Delivery is asynchronous (a microtask later, like a
 * network hop) and copies the bytes, so code that works on it does not rely
 * on sharing objects with the sender. `connected = false` makes publishes
 * vanish and requests fail, for outage tests.
 */
export class MemoryBus implements ControlBus {
  private readonly subs = new Set<{ pattern: string; handler: (m: BusMessage) => void }>();
  private pending = 0;
  private idle: (() => void)[] = [];
  private inboxSeq = 0;
  connected = true;

  publish(subject: string, data: Uint8Array, headers: BusHeaders = {}): void {
    this.deliver({ subject, data, headers });
  }

  private deliver(message: BusMessage): number {
    if (!this.connected) return 0;
    const copy = message.data.slice();
    const targets = [...this.subs].filter((s) => subjectMatches(s.pattern, message.subject));
    if (targets.length === 0) return 0;
    this.pending++;
    queueMicrotask(() => {
      for (const s of targets) {
        if (this.subs.has(s)) s.handler({ ...message, data: copy, headers: { ...message.headers } });
      }
      this.pending--;
      if (this.pending === 0) for (const r of this.idle.splice(0)) r();
    });
    return targets.length;
  }

  subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription {
    const s = { pattern: subject, handler };
    this.subs.add(s);
    return { unsubscribe: () => this.subs.delete(s) };
  }

  request(
    subject: string,
    data: Uint8Array,
    options: { timeoutMs: number; headers?: BusHeaders },
  ): Promise<BusMessage> {
    return new Promise((resolve, reject) => {
      const inbox = `_INBOX.memory.${this.inboxSeq++}`;
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        reject(
          new BusUnavailableError(`request ${subject}`, new Error(`no reply within ${options.timeoutMs} ms`)),
        );
      }, options.timeoutMs);
      const respond = (reply: Uint8Array, headers: BusHeaders = {}) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ subject: inbox, data: reply.slice(), headers });
      };
      const n = this.deliver({ subject, data, headers: options.headers ?? {}, respond });
      if (n === 0 && !done) {
        done = true;
        clearTimeout(timer);
        reject(new BusUnavailableError(`request ${subject}`, new Error('no responders')));
      }
    });
  }

  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
