import {
  connect,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
} from '@nats-io/transport-node';
import type { BusMessage, Headers, Logger, MessageBus } from './ports.ts';

export interface NatsBusOptions {
  readonly servers: string;
  readonly name: string;
  readonly user?: string;
  readonly pass?: string;
  readonly logger: Logger;
}

/**
 * The bus over a real nats-server. Reconnects forever (a NATS outage makes
 * the checkpointer not-ready, never exits it); subscriptions survive
 * reconnects (the client replays them).
 */
export class NatsBus implements MessageBus {
  private readonly nc: NatsConnection;
  private up = true;

  private constructor(nc: NatsConnection, logger: Logger) {
    this.nc = nc;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.up = false;
          logger.warn('nats disconnected');
        } else if (s.type === 'reconnect') {
          this.up = true;
          logger.info('nats reconnected');
        }
      }
    })().catch(() => {});
  }

  static async connect(o: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: o.servers,
      name: o.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(o.user !== undefined ? { user: o.user, pass: o.pass ?? '' } : {}),
    });
    return new NatsBus(nc, o.logger);
  }

  /** the underlying connection (for JetStream KV: the HA lease) */
  get connection(): NatsConnection {
    return this.nc;
  }

  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  publish(subject: string, data: Uint8Array, headers?: Headers): void {
    this.nc.publish(subject, data, headers === undefined ? undefined : { headers: toNats(headers) });
  }

  subscribe(subject: string, handler: (m: BusMessage) => void): () => void {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) handler(fromNats(msg));
      },
    });
    return () => sub.unsubscribe();
  }

  async request(
    subject: string,
    data: Uint8Array,
    timeoutMs: number,
    headers?: Headers,
  ): Promise<BusMessage> {
    const m = await this.nc.request(subject, data, {
      timeout: timeoutMs,
      ...(headers === undefined ? {} : { headers: toNats(headers) }),
    });
    return fromNats(m);
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

function toNats(h: Headers): MsgHdrs {
  const out = natsHeaders();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

function fromNats(msg: Msg): BusMessage {
  const h: Record<string, string> = {};
  if (msg.headers !== undefined)
    for (const [k, v] of msg.headers) if (v[0] !== undefined) h[k.toLowerCase()] = v[0];
  const m: BusMessage = { subject: msg.subject, data: msg.data, headers: h };
  if (msg.reply === undefined || msg.reply === '') return m;
  return {
    ...m,
    respond: (data: Uint8Array, headers?: Headers) => {
      msg.respond(data, headers === undefined ? undefined : { headers: toNats(headers) });
    },
  };
}
