/**
 * `ripple status`: the cluster as the acting coordinator sees it (members,
 * partitions, epochs, lag, recent rebalances with their trace ids), asked
 * over NATS request/reply on `ripple.<cluster>.status` (any replica's
 * followers stay silent; the acting one answers) or from a coordinator's
 * HTTP API (`GET /status`).
 */
import {
  clusterSubjects,
  encodeControlMessage,
  type StatusResponse,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import { type CliBus, openCliBus } from './cluster-bus.ts';
import type { CommandIo } from './commands.ts';
import { ServiceUnavailableError, UsageError } from './errors.ts';
import { duration, flag, parse, str } from './parse.ts';
import { clusterName } from './services.ts';

export const STATUS_HELP = `ripple status: the cluster view from the acting coordinator.

Usage:
  pnpm ripple status [--nats URL | --url URL] [--cluster NAME] [--json]

  --nats URL            ask over NATS request/reply (default $NATS_URL; credentials from the
                        RIPPLE_NATS_* variables, as the apps read them); ripple-hub:SOCKET asks
                        the embedded cluster of \`pnpm start\` (its view prints the socket; --cluster start)
  --url URL             ask a coordinator's HTTP API instead (GET URL/status; default $RIPPLE_COORDINATOR_URL)
  --cluster NAME        cluster name (default $RIPPLE_CLUSTER or ripple)
  --timeout D           how long to wait for the answer (default 5s)
  --json                the status document as JSON on stdout

Shows: acting coordinator and epoch; each worker with its state, partitions, summed lag and
heartbeat age; partitions unassigned or moving; the last rebalances (reason, moves, duration,
trace id).
Exit status: 0 success, 1 no coordinator answered, 2 misuse.
`;

export interface StatusOptions {
  readonly via:
    | { readonly kind: 'nats'; readonly url: string }
    | { readonly kind: 'http'; readonly url: string };
  readonly cluster: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseStatusArgs(args: readonly string[], env: Env): StatusOptions | null {
  const p = parse(args, {
    help: { type: 'boolean', short: 'h' },
    nats: { type: 'string' },
    url: { type: 'string' },
    cluster: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flag(p, 'help')) return null;
  const nats = str(p, 'nats');
  const url = str(p, 'url');
  if (nats !== undefined && url !== undefined)
    throw new UsageError('give --nats or --url, not both', '--url');
  let via: StatusOptions['via'];
  if (url !== undefined) via = { kind: 'http', url };
  else if (nats !== undefined) via = { kind: 'nats', url: nats };
  else if (env.RIPPLE_COORDINATOR_URL) via = { kind: 'http', url: env.RIPPLE_COORDINATOR_URL };
  else if (env.NATS_URL) via = { kind: 'nats', url: env.NATS_URL };
  else
    throw new UsageError(
      'no coordinator to ask: give --nats URL or --url URL, or set NATS_URL (`source infra/.run/env`)',
      '--nats',
    );
  if (via.kind === 'http' && !/^https?:\/\//.test(via.url))
    throw new UsageError(`--url: ${JSON.stringify(via.url)} is not an http(s) URL`, '--url');
  const t = str(p, 'timeout');
  const timeoutNs = t === undefined ? 5_000_000_000n : duration(t, '--timeout');
  return {
    via,
    cluster: clusterName(p, env),
    timeoutMs: Math.max(1, Number(timeoutNs / 1_000_000n)),
    json: flag(p, 'json'),
  };
}

/** Asks for the status (NATS request/reply or HTTP). */
export async function fetchStatus(o: StatusOptions, env: Env): Promise<StatusResponse> {
  if (o.via.kind === 'http') {
    const url = `${o.via.url.replace(/\/+$/, '')}/status`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(o.timeoutMs) });
    } catch (e) {
      throw new ServiceUnavailableError(`coordinator ${url}`, (e as Error).message, e);
    }
    const body = await res.text();
    if (!res.ok)
      throw new ServiceUnavailableError(`coordinator ${url}`, `HTTP ${res.status}: ${body.slice(0, 200)}`);
    return JSON.parse(body) as StatusResponse;
  }
  const bus = await openCliBus(o.via.url, env, 'ripple-cli-status', o.timeoutMs);
  try {
    return await askStatus(bus, o.cluster, o.timeoutMs);
  } finally {
    await bus.close();
  }
}

/** The acting coordinator's view, asked over request/reply on `ripple.<cluster>.status`. */
export async function askStatus(bus: CliBus, cluster: string, timeoutMs: number): Promise<StatusResponse> {
  const subject = clusterSubjects(cluster).status;
  let reply: Uint8Array;
  try {
    reply = await bus.request(
      subject,
      encodeControlMessage({ type: 'status_request', v: 1, requestId: `cli-${process.pid}-${Date.now()}` }),
      timeoutMs,
    );
  } catch (e) {
    throw new ServiceUnavailableError(
      `cluster ${cluster}`,
      `no coordinator answered on ${subject} within ${timeoutMs} ms (${(e as Error).message}); is one running for this cluster?`,
      e,
    );
  }
  return statusFrom(reply, cluster, subject);
}

function statusFrom(reply: Uint8Array, cluster: string, subject: string): StatusResponse {
  const r = tryDecodeControlMessage(reply);
  if (!r.ok || r.message.type !== 'status_response')
    throw new ServiceUnavailableError(`cluster ${cluster}`, `unexpected answer on ${subject}`);
  return r.message;
}

function ranges(ps: readonly number[]): string {
  const s = [...ps].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && (s[j + 1] as number) === (s[j] as number) + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(',') || '-';
}

/** The status as a few readable tables. `nowMs` for heartbeat ages. */
export function formatStatus(s: StatusResponse, nowMs: number): string {
  const lines: string[] = [];
  const moving = (s.partitions ?? []).filter((p) => p.movingTo !== null);
  lines.push(
    `coordinator ${s.leaderId ?? '(none)'}  epoch ${s.epoch}  partitions ${s.numPartitions}  workers ${s.workers.length}  unassigned ${s.unassigned.length}  moving ${moving.length}`,
  );
  const lag = new Map<string, number>();
  for (const p of s.partitions ?? [])
    if (p.workerId !== null && p.lag !== null) lag.set(p.workerId, (lag.get(p.workerId) ?? 0) + p.lag);
  const rows = [['worker', 'state', 'parts', 'lag', 'heartbeat', 'partitions']];
  for (const w of [...s.workers].sort((a, b) => a.workerId.localeCompare(b.workerId)))
    rows.push([
      w.workerId,
      w.state,
      String(w.partitions.length),
      lag.has(w.workerId) ? String(lag.get(w.workerId)) : '-',
      `${((nowMs - w.lastHeartbeatMs) / 1000).toFixed(1)}s ago`,
      ranges(w.partitions),
    ]);
  lines.push(table(rows));
  if (s.unassigned.length > 0) lines.push(`unassigned: ${ranges(s.unassigned)}`);
  if (moving.length > 0)
    lines.push(
      `moving: ${moving.map((p) => `${p.partition} ${p.workerId ?? '-'} -> ${p.movingTo}`).join(', ')}`,
    );
  const rb = s.rebalances ?? [];
  if (rb.length > 0) {
    const r = [['rebalance', 'epoch', 'reason', 'moves', 'took', 'trace']];
    for (const x of rb.slice(0, 5))
      r.push([
        x.rebalanceId,
        String(x.epoch),
        x.reason,
        String(x.moves),
        x.finishedAtMs === null ? 'running' : `${((x.finishedAtMs - x.startedAtMs) / 1000).toFixed(2)}s`,
        x.traceId ?? '-',
      ]);
    lines.push(table(r));
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] as readonly string[]).map((_, c) =>
    Math.max(...rows.map((r) => (r[c] ?? '').length)),
  );
  return rows
    .map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c] as number))).join('  '))
    .join('\n');
}

export async function runStatus(o: StatusOptions, io: CommandIo): Promise<StatusResponse> {
  const s = await fetchStatus(o, io.env);
  io.stdout.write(o.json ? `${JSON.stringify(s)}\n` : formatStatus(s, Date.now()));
  return s;
}
