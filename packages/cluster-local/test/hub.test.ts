import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusUnavailableError, KvConflictError } from '@ripple/cluster';
import { afterEach, describe, expect, it } from 'vitest';
import { HubClient, HubServer, hubPath } from '../src/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function hub() {
  const path = join(mkdtempSync(join(tmpdir(), 'ripple-hub-')), 'hub.sock');
  const server = await HubServer.listen(path);
  closers.push(() => server.close());
  const client = async () => {
    const c = await HubClient.connect(path);
    closers.push(() => c.close());
    return c;
  };
  return { path, server, client };
}

describe('hub: the ControlBus and KvStore between processes over a unix socket', () => {
  it('publish reaches matching subscriptions (wildcards) in other connections, in order, with headers', async () => {
    const h = await hub();
    const a = await h.client();
    const b = await h.client();
    const got: string[] = [];
    b.bus.subscribe('ripple.c.hb.*', (m) => got.push(`${m.subject}:${dec(m.data)}:${m.headers.k ?? ''}`));
    b.bus.subscribe('ripple.>', (m) => got.push(`all:${m.subject}`));
    await b.bus.flush();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 3; i++) a.bus.publish('ripple.c.hb.w1', enc(String(i)), { k: 'v' });
    a.bus.publish('other.x', enc('no'));
    await a.bus.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(got.filter((g) => !g.startsWith('all:'))).toEqual([
      'ripple.c.hb.w1:0:v',
      'ripple.c.hb.w1:1:v',
      'ripple.c.hb.w1:2:v',
    ]);
    expect(got.filter((g) => g.startsWith('all:')).length).toBe(3);
  });

  it('request/reply; no responders and timeouts are BusUnavailableError', async () => {
    const h = await hub();
    const a = await h.client();
    const b = await h.client();
    b.bus.subscribe('svc.echo', (m) => m.respond?.(enc(`echo ${dec(m.data)}`), { from: 'b' }));
    b.bus.subscribe('svc.silent', () => {});
    await new Promise((r) => setTimeout(r, 20));
    const r = await a.bus.request('svc.echo', enc('hi'), { timeoutMs: 1000 });
    expect(dec(r.data)).toBe('echo hi');
    expect(r.headers.from).toBe('b');
    await expect(a.bus.request('svc.none', enc(''), { timeoutMs: 1000 })).rejects.toBeInstanceOf(
      BusUnavailableError,
    );
    await expect(a.bus.request('svc.silent', enc(''), { timeoutMs: 50 })).rejects.toThrow(/within 50 ms/);
  });

  it('KV: compare-and-set by revision, shared by every connection', async () => {
    const h = await hub();
    const a = (await h.client()).kv('lease');
    const b = (await h.client()).kv('lease');
    expect(await a.get('k')).toBeNull();
    const r1 = await a.update('k', enc('x'), 0);
    await expect(b.update('k', enc('y'), 0)).rejects.toBeInstanceOf(KvConflictError);
    const e = await b.get('k');
    expect(e === null ? null : { v: dec(e.value), r: e.revision }).toEqual({ v: 'x', r: r1 });
    const r2 = await b.update('k', enc('y'), r1);
    expect(r2).toBeGreaterThan(r1);
    expect(await (await h.client()).kv('state').get('k')).toBeNull(); // buckets are separate
  });

  it('hubPath reads ripple-hub: URLs only', () => {
    expect(hubPath('ripple-hub:/tmp/x.sock')).toBe('/tmp/x.sock');
    expect(hubPath('nats://127.0.0.1:4222')).toBeNull();
  });
});
