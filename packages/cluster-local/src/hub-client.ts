/**
 * A process's connection to the hub: `HubClient.connect(path)` gives the
 * `ControlBus` (`client.bus`) and `KvStore`s (`client.kv(bucket)`) of
 * @ripple/cluster. Errors are the cluster's typed ones: `BusUnavailableError`
 * (timeout, no responders, hub gone), `KvConflictError`, `KvUnavailableError`.
 */
import { connect, type Socket } from 'node:net';
import {
  type BusHeaders,
  type BusMessage,
  type BusSubscription,
  BusUnavailableError,
  type ControlBus,
  KvConflictError,
  type KvEntry,
  type KvStore,
  KvUnavailableError,
} from '@ripple/cluster';
import { b64, type ClientFrame, type HubFrame, lineReader, unb64 } from './wire.ts';

type Res = Extract<HubFrame, { t: 'res' }>;

export class HubClient {
  private readonly socket: Socket;
  private nextId = 0;
  private readonly handlers = new Map<number, (m: BusMessage) => void>();
  private readonly waiting = new Map<number, (r: Res) => void>();
  private closed = false;
  readonly bus: ControlBus;

  private constructor(socket: Socket, onError: (e: unknown, subject: string) => void) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on(
      'data',
      lineReader((raw) => {
        const f = raw as HubFrame;
        if (f.t === 'res') {
          const w = this.waiting.get(f.id);
          this.waiting.delete(f.id);
          w?.(f);
          return;
        }
        const h = this.handlers.get(f.id);
        if (h === undefined) return;
        const token = f.r;
        const message: BusMessage = {
          subject: f.s,
          data: unb64(f.d),
          headers: f.h,
          ...(token === undefined
            ? {}
            : {
                respond: (data: Uint8Array, headers?: BusHeaders) =>
                  this.write({
                    t: 'reply',
                    r: token,
                    d: b64(data),
                    ...(headers === undefined ? {} : { h: headers }),
                  }),
              }),
        };
        try {
          h(message);
        } catch (e) {
          onError(e, f.s);
        }
      }),
    );
    const fail = () => {
      this.closed = true;
      for (const w of this.waiting.values())
        w({ t: 'res', id: -1, ok: false, err: 'hub connection closed', code: 'bad' });
      this.waiting.clear();
    };
    socket.on('close', fail);
    socket.on('error', fail);
    const self = this;
    this.bus = {
      publish(subject, data, headers) {
        self.write({ t: 'pub', s: subject, d: b64(data), ...(headers === undefined ? {} : { h: headers }) });
      },
      subscribe(subject, handler): BusSubscription {
        const id = ++self.nextId;
        self.handlers.set(id, handler);
        self.write({ t: 'sub', id, s: subject });
        return {
          unsubscribe: () => {
            self.handlers.delete(id);
            self.write({ t: 'unsub', id });
          },
        };
      },
      async request(subject, data, options) {
        const r = await self.call({
          t: 'req',
          id: ++self.nextId,
          s: subject,
          d: b64(data),
          ms: options.timeoutMs,
          ...(options.headers === undefined ? {} : { h: options.headers }),
        });
        if (!r.ok) throw new BusUnavailableError(`request ${subject}`, new Error(r.err));
        return { subject, data: unb64(r.d ?? ''), headers: r.h ?? {} };
      },
      async flush() {
        // one socket, in order: what was written before is delivered before anything written after
        await new Promise<void>((resolve) => self.socket.write('', () => resolve()));
      },
    };
  }

  static async connect(
    path: string,
    onError: (e: unknown, subject: string) => void = () => {},
  ): Promise<HubClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', (e) => reject(new BusUnavailableError(`connect to hub ${path}`, e)));
    });
    return new HubClient(socket, onError);
  }

  private write(f: ClientFrame): void {
    if (!this.closed) this.socket.write(`${JSON.stringify(f)}\n`);
  }

  private call(f: ClientFrame & { id: number }): Promise<Res> {
    if (this.closed)
      return Promise.resolve({ t: 'res', id: f.id, ok: false, err: 'hub connection closed', code: 'bad' });
    return new Promise((resolve) => {
      this.waiting.set(f.id, resolve);
      this.write(f);
    });
  }

  kv(bucket: string): KvStore {
    return {
      get: async (key: string): Promise<KvEntry | null> => {
        const r = await this.call({ t: 'kvget', id: ++this.nextId, b: bucket, k: key });
        if (!r.ok) throw new KvUnavailableError(`get ${key}`, new Error(r.err));
        return r.rev === null || r.rev === undefined ? null : { value: unb64(r.d ?? ''), revision: r.rev };
      },
      update: async (key: string, value: Uint8Array, expectedRevision: number): Promise<number> => {
        const r = await this.call({
          t: 'kvput',
          id: ++this.nextId,
          b: bucket,
          k: key,
          d: b64(value),
          rev: expectedRevision,
        });
        if (!r.ok) {
          if (r.code === 'conflict') throw new KvConflictError(key, expectedRevision);
          throw new KvUnavailableError(`update ${key}`, new Error(r.err));
        }
        return r.rev as number;
      },
    };
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }
}

/** `ripple-hub:/path/to.sock` -> the socket path; null for any other URL (e.g. nats://). */
export function hubPath(url: string | null | undefined): string | null {
  if (url === null || url === undefined) return null;
  return url.startsWith('ripple-hub:') ? url.slice('ripple-hub:'.length) : null;
}
