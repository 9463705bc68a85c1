/**
 * ControlBus over a NATS connection: subjects as given, headers as NATS
 * message headers (traceparent travels there), request/reply with NATS'
 * inboxes. A throwing handler is caught and reported to `onHandlerError`
 * (the connection keeps delivering). NATS errors become BusUnavailableError.
 */
import { type Msg, type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import {
  type BusHeaders,
  type BusMessage,
  type BusSubscription,
  BusUnavailableError,
  type ControlBus,
} from '@ripple/cluster';

export class NatsBus implements ControlBus {
  readonly nc: NatsConnection;
  private readonly onHandlerError: (error: unknown, subject: string) => void;

  constructor(nc: NatsConnection, onHandlerError: (error: unknown, subject: string) => void = () => {}) {
    this.nc = nc;
    this.onHandlerError = onHandlerError;
  }

  publish(subject: string, data: Uint8Array, headers?: BusHeaders): void {
    try {
      this.nc.publish(subject, data, toOptions(headers));
    } catch (cause) {
      throw new BusUnavailableError(`publish ${subject}`, cause);
    }
  }

  subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err !== null) {
          this.onHandlerError(err, subject);
          return;
        }
        try {
          handler(fromMsg(msg));
        } catch (error) {
          this.onHandlerError(error, msg.subject);
        }
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async request(
    subject: string,
    data: Uint8Array,
    options: { timeoutMs: number; headers?: BusHeaders },
  ): Promise<BusMessage> {
    try {
      const msg = await this.nc.request(subject, data, {
        timeout: options.timeoutMs,
        ...toOptions(options.headers),
      });
      return fromMsg(msg);
    } catch (cause) {
      throw new BusUnavailableError(`request ${subject}`, cause);
    }
  }

  async flush(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (cause) {
      throw new BusUnavailableError('flush', cause);
    }
  }
}

function toOptions(h: BusHeaders | undefined): { headers?: ReturnType<typeof natsHeaders> } {
  if (h === undefined) return {};
  const keys = Object.keys(h);
  if (keys.length === 0) return {};
  const out = natsHeaders();
  for (const k of keys) out.set(k, h[k]!);
  return { headers: out };
}

function fromMsg(msg: Msg): BusMessage {
  const headers: Record<string, string> = {};
  if (msg.headers !== undefined) for (const [k, v] of msg.headers) headers[k.toLowerCase()] = v[0] ?? '';
  const base = { subject: msg.subject, data: msg.data, headers };
  if (msg.reply === undefined || msg.reply === '') return base;
  return {
    ...base,
    respond: (data: Uint8Array, h?: BusHeaders) => {
      msg.respond(data, toOptions(h));
    },
  };
}
