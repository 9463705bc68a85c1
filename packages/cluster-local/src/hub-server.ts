/**
 * The hub: a unix-socket server holding subscriptions and KV buckets for
 * the processes of one embedded cluster. Delivery is at most once (like core
 * NATS): a message reaches the subscriptions matching it at that moment. A
 * request goes to one matching subscriber (the first), its reply comes back
 * to the requester; no subscriber answers `no_responders` at once, no reply
 * in time `timeout`. KV is compare-and-set by revision per bucket and key
 * (JetStream KV semantics the coordinator relies on: 0 = absent).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { subjectMatches } from '@ripple/cluster';
import { type ClientFrame, type HubFrame, lineReader } from './wire.ts';

interface Sub {
  readonly client: Client;
  readonly id: number;
  readonly subject: string;
}

interface Client {
  readonly socket: Socket;
  readonly subs: Map<number, Sub>;
}

export class HubServer {
  private readonly server: Server;
  private readonly clients = new Set<Client>();
  private readonly kv = new Map<string, { value: string; revision: number }>();
  private readonly pending = new Map<string, { client: Client; id: number; timer: NodeJS.Timeout }>();
  private nextToken = 0;
  private revisions = 0;
  messages = 0;

  private constructor(server: Server) {
    this.server = server;
  }

  static async listen(path: string): Promise<HubServer> {
    const server = createServer();
    const hub = new HubServer(server);
    server.on('connection', (socket) => hub.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return hub;
  }

  private accept(socket: Socket): void {
    const client: Client = { socket, subs: new Map() };
    this.clients.add(client);
    socket.setNoDelay(true);
    socket.on(
      'data',
      lineReader((f) => this.frame(client, f as ClientFrame)),
    );
    const drop = () => this.clients.delete(client);
    socket.on('close', drop);
    socket.on('error', drop);
  }

  private send(client: Client, f: HubFrame): void {
    if (!client.socket.destroyed) client.socket.write(`${JSON.stringify(f)}\n`);
  }

  private matching(subject: string): Sub[] {
    const out: Sub[] = [];
    for (const c of this.clients)
      for (const s of c.subs.values()) if (subjectMatches(s.subject, subject)) out.push(s);
    return out;
  }

  private frame(client: Client, f: ClientFrame): void {
    this.messages++;
    switch (f.t) {
      case 'pub':
        for (const s of this.matching(f.s))
          this.send(s.client, { t: 'msg', id: s.id, s: f.s, d: f.d, h: f.h ?? {} });
        return;
      case 'sub':
        client.subs.set(f.id, { client, id: f.id, subject: f.s });
        return;
      case 'unsub':
        client.subs.delete(f.id);
        return;
      case 'req': {
        const target = this.matching(f.s)[0];
        if (target === undefined) {
          this.send(client, {
            t: 'res',
            id: f.id,
            ok: false,
            err: `no responders on ${f.s}`,
            code: 'no_responders',
          });
          return;
        }
        const token = `r${++this.nextToken}`;
        const timer = setTimeout(() => {
          this.pending.delete(token);
          this.send(client, {
            t: 'res',
            id: f.id,
            ok: false,
            err: `no reply on ${f.s} within ${f.ms} ms`,
            code: 'timeout',
          });
        }, f.ms);
        this.pending.set(token, { client, id: f.id, timer });
        this.send(target.client, { t: 'msg', id: target.id, s: f.s, d: f.d, h: f.h ?? {}, r: token });
        return;
      }
      case 'reply': {
        const p = this.pending.get(f.r);
        if (p === undefined) return; // late reply: the request timed out
        this.pending.delete(f.r);
        clearTimeout(p.timer);
        this.send(p.client, { t: 'res', id: p.id, ok: true, d: f.d, h: f.h ?? {} });
        return;
      }
      case 'kvget': {
        const e = this.kv.get(`${f.b}\u0000${f.k}`);
        this.send(client, {
          t: 'res',
          id: f.id,
          ok: true,
          ...(e === undefined ? { rev: null } : { d: e.value, rev: e.revision }),
        });
        return;
      }
      case 'kvput': {
        const key = `${f.b}\u0000${f.k}`;
        const current = this.kv.get(key)?.revision ?? 0;
        if (current !== f.rev) {
          this.send(client, {
            t: 'res',
            id: f.id,
            ok: false,
            err: `revision ${current}, expected ${f.rev}`,
            code: 'conflict',
          });
          return;
        }
        const revision = ++this.revisions;
        this.kv.set(key, { value: f.d, revision });
        this.send(client, { t: 'res', id: f.id, ok: true, rev: revision });
        return;
      }
      default:
        return;
    }
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    for (const c of this.clients) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
