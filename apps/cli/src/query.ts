/**
 * `ripple query SYMBOL`: queryable state. The key's partition is
 * hash32(key) mod the cluster's partitions (as `ripple produce` and
 * `pnpm start` place trades); its owner comes from the acting coordinator's
 * partition table (`ripple.<c>.status`); the owner answers from its own state
 * over request/reply on `ripple.<c>.query.<worker>` (NATS or the embedded
 * hub) — no RPC server besides the bus. While the partition moves, the new
 * owner is asked; until it is live for the key (restored and caught up), or
 * while nobody owns it, the answer is "moving": asked again for `--wait`,
 * then exit status 3.
 */
import { hash32 } from '@ripple/cluster';
import {
  clusterSubjects,
  encodeControlMessage,
  type KeyQueryReply,
  type QueriedWindow,
  type StatusResponse,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import type { CliBus } from './cluster-bus.ts';
import type { CommandIo } from './commands.ts';
import { KeyMovingError, ServiceUnavailableError, UsageError } from './errors.ts';
import { duration, flag, oneOf, parse, str } from './parse.ts';
import { clusterName } from './services.ts';
import { askStatus } from './status.ts';

export const QUERY_HELP = `ripple query: a key's current state, answered by the worker that owns it.

Usage:
  pnpm ripple query SYMBOL [--window all|open|closed|last] [--nats URL] [--cluster NAME] [--json]

  --window W        which windows: all (default: the open ones and the last emitted), open (still
                    accumulating), closed (emitted, within the allowed lateness), last (the last
                    value output for the key)
  --nats URL        the cluster's bus (default $NATS_URL); ripple-hub:SOCKET asks the embedded
                    cluster of \`pnpm start\` (its view prints the socket; add --cluster start)
  --cluster NAME    cluster name (default $RIPPLE_CLUSTER or ripple)
  --timeout D       how long to wait for each answer (default 5s)
  --wait D          how long to keep asking while the key is moving (default 3s)
  --json            the answer as JSON on stdout (int64 as decimal strings)

The key's partition is hash32(key) mod the cluster's partitions; the coordinator's partition table
names its owner (the new owner while it moves), which answers from its state.
Exit status: 0 answered, 1 the coordinator or the owner did not answer, 2 misuse, 3 the key is
moving (its partition is being restored on its new owner, or has none).
`;

export const QUERY_WINDOWS = ['all', 'open', 'closed', 'last'] as const;
export type QueryWindowFilter = (typeof QUERY_WINDOWS)[number];

export interface QueryOptions {
  readonly key: string;
  readonly window: QueryWindowFilter;
  readonly natsUrl: string;
  readonly cluster: string;
  readonly timeoutMs: number;
  readonly waitMs: number;
  readonly json: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseQueryArgs(args: readonly string[], env: Env): QueryOptions | null {
  const p = parse(
    args,
    {
      help: { type: 'boolean', short: 'h' },
      window: { type: 'string' },
      nats: { type: 'string' },
      cluster: { type: 'string' },
      timeout: { type: 'string' },
      wait: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (flag(p, 'help')) return null;
  const [key, extra] = p.positionals;
  if (key === undefined) throw new UsageError('give the key to look up: ripple query SYMBOL', null);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, null);
  if (key.length === 0 || key.length > 1024 || [...key].some((c) => c.charCodeAt(0) < 0x20))
    throw new UsageError(`${JSON.stringify(key)} is not a key (1-1024 printable characters)`, null);
  const natsUrl = str(p, 'nats') ?? env.NATS_URL;
  if (natsUrl === undefined || natsUrl === '')
    throw new UsageError(
      'no cluster to ask: give --nats URL (ripple-hub:SOCKET for `pnpm start`) or set NATS_URL (`source infra/.run/env`)',
      '--nats',
    );
  const w = str(p, 'window');
  const t = str(p, 'timeout');
  const wait = str(p, 'wait');
  return {
    key,
    window: w === undefined ? 'all' : oneOf(w, '--window', QUERY_WINDOWS),
    natsUrl,
    cluster: clusterName(p, env),
    timeoutMs: t === undefined ? 5000 : Math.max(1, Number(duration(t, '--timeout') / 1_000_000n)),
    waitMs: wait === undefined ? 3000 : Number(duration(wait, '--wait') / 1_000_000n),
    json: flag(p, 'json'),
  };
}

/** Who to ask for partition p: the new owner while it moves, else the owner; null when nobody has it. */
export function routeOf(s: StatusResponse, partition: number): { workerId: string | null; moving: boolean } {
  const row = s.partitions?.find((x) => x.partition === partition);
  if (row !== undefined) return { workerId: row.movingTo ?? row.workerId, moving: row.movingTo !== null };
  const w = s.workers.find((x) => x.partitions.includes(partition));
  return { workerId: w?.workerId ?? null, moving: false };
}

export function partitionOfKey(key: string, partitions: number): number {
  return hash32(key) % partitions;
}

let seq = 0;
function requestId(kind: string): string {
  return `cli-${kind}-${process.pid}-${Date.now()}-${seq++}`;
}

/**
 * Asks until the owner answers `ok`, or `waitMs` passed (then KeyMovingError).
 * Each round reads the partition table again: a move that finished meanwhile
 * sends the next question to the new owner.
 */
export async function queryKey(
  o: QueryOptions,
  bus: CliBus,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<KeyQueryReply> {
  const subjects = clusterSubjects(o.cluster);
  const until = Date.now() + o.waitMs;
  for (let round = 0; ; round++) {
    const s = await askStatus(bus, o.cluster, o.timeoutMs);
    const partition = partitionOfKey(o.key, s.numPartitions);
    const route = routeOf(s, partition);
    let why: string;
    if (route.workerId === null) why = `partition ${partition} has no owner (epoch ${s.epoch})`;
    else {
      const q = encodeControlMessage({
        type: 'key_query',
        v: 1,
        requestId: requestId('q'),
        workerId: route.workerId,
        key: o.key,
        partition,
      });
      let bytes: Uint8Array;
      try {
        bytes = await bus.request(subjects.query(route.workerId), q, o.timeoutMs);
      } catch (e) {
        throw new ServiceUnavailableError(
          `worker ${route.workerId}`,
          `no answer on ${subjects.query(route.workerId)} within ${o.timeoutMs} ms (${(e as Error).message})`,
          e,
        );
      }
      const r = tryDecodeControlMessage(bytes);
      if (!r.ok || r.message.type !== 'key_query_reply')
        throw new ServiceUnavailableError(`worker ${route.workerId}`, 'unexpected answer to a key query');
      const reply = r.message;
      if (reply.status === 'ok') return reply;
      why =
        reply.status === 'moving'
          ? `partition ${partition} is being restored on ${route.workerId}`
          : `${route.workerId} does not hold partition ${partition} (it moved)`;
    }
    if (Date.now() >= until) throw new KeyMovingError(o.key, partition, why);
    await sleep(Math.min(250 * 2 ** Math.min(round, 3), Math.max(1, until - Date.now())));
  }
}

/** The windows the filter keeps, oldest first. */
export function selectWindows(r: KeyQueryReply, w: QueryWindowFilter): QueriedWindow[] {
  if (w === 'last') return r.lastEmitted === null ? [] : [r.lastEmitted];
  const ws = r.windows.filter((x) => w === 'all' || (w === 'open') === !x.closed);
  if (w !== 'all' || r.lastEmitted === null) return ws;
  const last = r.lastEmitted;
  return ws.some((x) => x.startNs === last.startNs) ? ws : [last, ...ws];
}

const HIDDEN = new Set(['window_start_ns', 'window_end_ns']);

function time(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? `${ns}ns` : d.toISOString();
}

/** Readable lines: the route, then one line per window. */
export function formatQuery(r: KeyQueryReply, windows: readonly QueriedWindow[]): string {
  const lines = [
    `${r.key}: partition ${r.partition} on ${r.workerId} (held since epoch ${r.heldEpoch ?? '-'}), watermark ${r.watermarkNs === null ? '-' : time(r.watermarkNs)}`,
  ];
  if (windows.length === 0) lines.push('  no window held for this key');
  for (const w of windows) {
    const fields = Object.entries(w.fields)
      .filter(([k, v]) => !HIDDEN.has(k) && v !== r.key)
      .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`)
      .join('  ');
    const state = w.closed ? (w === r.lastEmitted ? 'emitted' : 'closed') : 'open';
    lines.push(`  ${time(w.startNs)} .. ${time(w.endNs)}  ${state.padEnd(7)}  ${fields}`);
  }
  return `${lines.join('\n')}\n`;
}

function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export async function runQuery(o: QueryOptions, io: CommandIo, bus: CliBus): Promise<KeyQueryReply> {
  const r = await queryKey(o, bus);
  const windows = selectWindows(r, o.window);
  io.stdout.write(o.json ? `${toJson({ ...r, windows })}\n` : formatQuery(r, windows));
  return r;
}
