// `ripple query` and `ripple graph` against the embedded hub (the bus of `pnpm start`): a stand-in
// coordinator answers the status, stand-in workers answer the queries (the worker's own handler is
// tested in apps/worker/test/query-responder.test.ts, a real worker in cli.integration on NATS).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { HubClient, HubServer } from '@ripple/cluster-local';
import {
  type ControlMessage,
  clusterSubjects,
  encodeControlMessage,
  type KeyQueryReply,
  type PartitionStatus,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';
import { partitionOfKey } from '../src/query.ts';

class Collect extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function ripple(args: string[], env: Record<string, string> = {}) {
  const i = { stdin: Readable.from([]), stdout: new Collect(), stderr: new Collect(), env };
  const code = await main(args, i);
  return { code, out: i.stdout.text, err: i.stderr.text };
}

const P = 8;
const KEY = 'AAPL';
const KP = partitionOfKey(KEY, P);
const subjects = clusterSubjects('start');

let server: HubServer;
let peer: HubClient;
let sock: string;
let table: PartitionStatus[];
const asked: string[] = [];
/** per worker: what it answers to a key query */
let answers: Record<string, KeyQueryReply['status']>;

function reply(workerId: string, status: KeyQueryReply['status']): KeyQueryReply {
  return {
    type: 'key_query_reply',
    v: 1,
    requestId: 'x',
    workerId,
    key: KEY,
    partition: KP,
    status,
    heldEpoch: status === 'not_owner' ? null : 3,
    watermarkNs: status === 'ok' ? 1_700_000_007_000_000_000n : null,
    windows:
      status === 'ok'
        ? [
            {
              startNs: 1_700_000_005_000_000_000n,
              endNs: 1_700_000_010_000_000_000n,
              closed: false,
              fields: { symbol: KEY, vwap: 101.25, volume: 40, count: 3 },
            },
          ]
        : [],
    lastEmitted:
      status === 'ok'
        ? {
            startNs: 1_700_000_000_000_000_000n,
            endNs: 1_700_000_005_000_000_000n,
            closed: true,
            fields: { symbol: KEY, vwap: 100.5, volume: 12, count: 2 },
          }
        : null,
  };
}

beforeEach(async () => {
  sock = join(mkdtempSync(join(tmpdir(), 'ripple-cli-query-')), 'hub.sock');
  server = await HubServer.listen(sock);
  peer = await HubClient.connect(sock);
  asked.length = 0;
  table = Array.from({ length: P }, (_, p) => ({
    partition: p,
    workerId: p % 2 === 0 ? 'worker-a' : 'worker-b',
    epoch: 3,
    lag: 0,
    movingTo: null,
  }));
  answers = { 'worker-a': 'ok', 'worker-b': 'ok' };
  peer.bus.subscribe(subjects.status, (m) =>
    m.respond?.(
      encodeControlMessage({
        type: 'status_response',
        v: 1,
        requestId: 'x',
        leaderId: 'coordinator',
        epoch: 3,
        numPartitions: P,
        workers: ['worker-a', 'worker-b'].map((w) => ({
          workerId: w,
          state: 'active' as const,
          partitions: table.filter((r) => r.workerId === w).map((r) => r.partition),
          lastHeartbeatMs: Date.now(),
        })),
        unassigned: table.filter((r) => r.workerId === null).map((r) => r.partition),
        partitions: table,
      }),
    ),
  );
  for (const w of ['worker-a', 'worker-b'])
    peer.bus.subscribe(subjects.query(w), (m) => {
      const r = tryDecodeControlMessage(m.data);
      if (!r.ok) return;
      const q = r.message as ControlMessage;
      asked.push(`${w} ${q.type}`);
      if (q.type === 'key_query') {
        const owner = table[q.partition]?.workerId === w || table[q.partition]?.movingTo === w;
        m.respond?.(encodeControlMessage(reply(w, owner ? (answers[w] ?? 'ok') : 'not_owner')));
      } else if (q.type === 'graph_query') {
        const held = table.filter((x) => x.workerId === w).map((x) => x.partition);
        const p = q.partition ?? held[0] ?? null;
        m.respond?.(
          encodeControlMessage({
            type: 'graph_reply',
            v: 1,
            requestId: q.requestId,
            workerId: w,
            partitions: held,
            partition: p !== null && held.includes(p) ? p : null,
            nodes: 3,
            edges: 0,
            shownNodes: Math.min(3, q.maxNodes),
            dot: `digraph "vwap p${p}" {\n  n0 [label="AAPL"];\n}\n`,
          }),
        );
      }
    });
  await peer.bus.flush();
  await new Promise((r) => setTimeout(r, 20));
});

afterEach(async () => {
  peer.close();
  await server.close();
});

const hub = () => ['--nats', `ripple-hub:${sock}`, '--cluster', 'start'];
const owner = () => table[KP]?.workerId as string;

describe('ripple query', () => {
  it('asks the owner the coordinator names and prints its open and last emitted windows', async () => {
    const r = await ripple(['query', KEY, ...hub()]);
    expect(r.code, r.err).toBe(0);
    expect(asked).toEqual([`${owner()} key_query`]);
    expect(r.out).toContain(`${KEY}: partition ${KP} on ${owner()} (held since epoch 3)`);
    expect(r.out).toMatch(/emitted\s+vwap=100\.5000 {2}volume=12 {2}count=2/);
    expect(r.out).toMatch(/open\s+vwap=101\.2500 {2}volume=40 {2}count=3/);
    const open = await ripple(['query', KEY, ...hub(), '--window=open', '--json']);
    const j = JSON.parse(open.out) as {
      status: string;
      windows: Array<{ startNs: string; closed: boolean }>;
    };
    expect(j.status).toBe('ok');
    expect(j.windows).toEqual([expect.objectContaining({ startNs: '1700000005000000000', closed: false })]);
  });

  it('during a move asks the new owner; answers once it is live', async () => {
    const from = owner();
    const to = from === 'worker-a' ? 'worker-b' : 'worker-a';
    table[KP] = { ...(table[KP] as PartitionStatus), movingTo: to };
    answers[to] = 'moving';
    let tries = 0;
    const live = setInterval(() => {
      if (++tries === 3) answers[to] = 'ok';
    }, 150);
    try {
      const r = await ripple(['query', KEY, ...hub(), '--wait', '5s']);
      expect(r.code, r.err).toBe(0);
      expect(asked.every((a) => a === `${to} key_query`)).toBe(true);
      expect(asked.length).toBeGreaterThan(1);
      expect(r.out).toContain(`on ${to}`);
    } finally {
      clearInterval(live);
    }
  });

  it('says the key is moving (exit 3) while the new owner restores it, or nobody owns it', async () => {
    answers[owner()] = 'moving';
    const r = await ripple(['query', KEY, ...hub(), '--wait', '300ms']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(new RegExp(`${KEY} is moving: partition ${KP} is being restored on ${owner()}`));
    table[KP] = { ...(table[KP] as PartitionStatus), workerId: null };
    const none = await ripple(['query', KEY, ...hub(), '--wait', '0s']);
    expect(none.code).toBe(3);
    expect(none.err).toMatch(`partition ${KP} has no owner`);
  });

  it('--help, and misuse with exit 2', async () => {
    const h = await ripple(['query', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('ripple query:');
    for (const [args, msg] of [
      [['query', ...hub()], /give the key/],
      [['query', KEY, 'MSFT', ...hub()], /unexpected argument "MSFT"/],
      [['query', KEY, ...hub(), '--window', 'recent'], /--window/],
      [['query', KEY, ...hub(), '--wait', '3'], /--wait: "3" has no unit/],
      [['query', KEY, ...hub(), '--windw', 'open'], /did you mean --window/],
      [['query', KEY], /set NATS_URL/],
    ] as const) {
      const r = await ripple([...args]);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('nobody answering is exit 1 naming the cluster', async () => {
    const r = await ripple(['query', KEY, ...hub().slice(0, 2), '--cluster', 'other', '--timeout', '200ms']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cluster other: no coordinator answered/);
  });
});

describe('ripple graph', () => {
  it('prints the DOT of the busiest worker, or of --worker / --partition', async () => {
    const r = await ripple(['graph', ...hub()]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^digraph "vwap p\d+" \{/);
    expect(r.err).toMatch(/^# worker-[ab] partition \d+ \(holds 4\): 3 nodes, 0 edges, 3 drawn one by one/);
    const p = await ripple(['graph', ...hub(), '--partition', '5', '--max-nodes', '2']);
    expect(p.code, p.err).toBe(0);
    expect(asked.at(-1)).toBe(`${table[5]?.workerId} graph_query`);
    expect(p.err).toContain('2 drawn one by one (--all for every node)');
    const j = await ripple(['graph', ...hub(), '--worker', 'worker-b', '--partition', '3', '--json']);
    expect(JSON.parse(j.out)).toMatchObject({ workerId: 'worker-b', partition: 3, nodes: 3 });
  });

  it('a partition the worker does not hold is exit 3; misuse exit 2', async () => {
    const r = await ripple(['graph', ...hub(), '--worker', 'worker-a', '--partition', '1']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/worker-a does not hold partition 1/);
    expect((await ripple(['graph', '--help'])).out).toContain('ripple graph:');
    for (const [args, msg] of [
      [['graph', ...hub(), '--worker', 'a.b'], /not a worker id/],
      [['graph', ...hub(), '--all', '--max-nodes', '5'], /not both/],
      [['graph', ...hub(), '--partition', '-1'], /--partition/],
      [['graph', ...hub(), '--partition', '9'], /the cluster has 8 partitions/],
    ] as const) {
      const x = await ripple([...args]);
      expect(x.code, `${args.join(' ')}: ${x.err}`).toBe(2);
      expect(x.err).toMatch(msg);
    }
  });
});
