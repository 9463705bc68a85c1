/**
 * `ripple graph`: the incremental graph of a running worker as Graphviz DOT
 * (nodes with their kind and height, edges), asked over the same
 * request/reply path as `ripple query` (`ripple.<c>.query.<worker>`). One
 * partition's graph: the one given, else the biggest the worker holds. Big
 * graphs are capped (`--max-nodes`, default 200): the first nodes are drawn
 * one by one, the rest folded into one node per kind and height with a
 * count; `--all` draws every node (the worker halves the cap until the
 * answer fits the bus's message size, and says how many it drew).
 */
import {
  clusterSubjects,
  encodeControlMessage,
  type GraphReply,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import type { CliBus } from './cluster-bus.ts';
import type { CommandIo } from './commands.ts';
import { PartitionNotHeldError, ServiceUnavailableError, UsageError } from './errors.ts';
import { duration, flag, parse, positiveInt, str } from './parse.ts';
import { routeOf } from './query.ts';
import { clusterName } from './services.ts';
import { askStatus } from './status.ts';

export const GRAPH_HELP = `ripple graph: a running worker's incremental graph as Graphviz DOT.

Usage:
  pnpm ripple graph [--worker ID] [--partition N] [--max-nodes N | --all] [--nats URL] [--cluster NAME] [--json]

  --worker ID       the worker to ask (default: the owner of --partition, else the worker
                    holding the most partitions)
  --partition N     the partition whose graph to draw (default: the worker's biggest)
  --max-nodes N     draw at most N nodes one by one, fold the rest into one node per kind and
                    height (default 200)
  --all             draw every node (up to what fits in one bus message)
  --nats URL        the cluster's bus (default $NATS_URL; ripple-hub:SOCKET for \`pnpm start\`)
  --cluster NAME    cluster name (default $RIPPLE_CLUSTER or ripple)
  --timeout D       how long to wait for each answer (default 5s)
  --json            the answer (counts and the DOT text) as JSON

DOT goes to stdout (render with: dot -Tsvg > graph.svg); a summary line goes to stderr.
Exit status: 0 drawn, 1 the coordinator or the worker did not answer, 2 misuse, 3 the worker
holds no such partition (it moved, or holds none).
`;

export interface GraphOptions {
  readonly workerId: string | null;
  readonly partition: number | null;
  readonly maxNodes: number;
  readonly natsUrl: string;
  readonly cluster: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const ALL = 0xffffffff;

export function parseGraphArgs(args: readonly string[], env: Env): GraphOptions | null {
  const p = parse(args, {
    help: { type: 'boolean', short: 'h' },
    worker: { type: 'string' },
    partition: { type: 'string' },
    'max-nodes': { type: 'string' },
    all: { type: 'boolean' },
    nats: { type: 'string' },
    cluster: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flag(p, 'help')) return null;
  const natsUrl = str(p, 'nats') ?? env.NATS_URL;
  if (natsUrl === undefined || natsUrl === '')
    throw new UsageError(
      'no cluster to ask: give --nats URL (ripple-hub:SOCKET for `pnpm start`) or set NATS_URL (`source infra/.run/env`)',
      '--nats',
    );
  const worker = str(p, 'worker') ?? null;
  if (worker !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(worker))
    throw new UsageError(
      `--worker ${JSON.stringify(worker)} is not a worker id ([A-Za-z0-9_-]{1,64})`,
      '--worker',
    );
  const max = str(p, 'max-nodes');
  if (max !== undefined && flag(p, 'all'))
    throw new UsageError('give --max-nodes or --all, not both', '--all');
  const part = str(p, 'partition');
  const t = str(p, 'timeout');
  return {
    workerId: worker,
    partition: part === undefined ? null : partitionNumber(part),
    maxNodes: flag(p, 'all') ? ALL : max === undefined ? 200 : positiveInt(max, '--max-nodes', ALL),
    natsUrl,
    cluster: clusterName(p, env),
    timeoutMs: t === undefined ? 5000 : Math.max(1, Number(duration(t, '--timeout') / 1_000_000n)),
    json: flag(p, 'json'),
  };
}

function partitionNumber(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xfffffffe)
    throw new UsageError(`--partition ${JSON.stringify(text)} is not a partition number`, '--partition');
  return Number(text);
}

/** Picks the worker (from the status unless given) and asks it for its graph. */
export async function fetchGraph(o: GraphOptions, bus: CliBus): Promise<GraphReply> {
  let workerId = o.workerId;
  if (workerId === null) {
    const s = await askStatus(bus, o.cluster, o.timeoutMs);
    if (o.partition !== null) {
      if (o.partition >= s.numPartitions)
        throw new UsageError(
          `--partition ${o.partition}: the cluster has ${s.numPartitions} partitions`,
          '--partition',
        );
      workerId = routeOf(s, o.partition).workerId;
      if (workerId === null) throw new PartitionNotHeldError(null, o.partition);
    } else {
      const busiest = [...s.workers].sort((a, b) => b.partitions.length - a.partitions.length)[0];
      if (busiest === undefined || busiest.partitions.length === 0)
        throw new PartitionNotHeldError(null, null);
      workerId = busiest.workerId;
    }
  }
  const subject = clusterSubjects(o.cluster).query(workerId);
  let bytes: Uint8Array;
  try {
    bytes = await bus.request(
      subject,
      encodeControlMessage({
        type: 'graph_query',
        v: 1,
        requestId: `cli-g-${process.pid}-${Date.now()}`,
        workerId,
        partition: o.partition,
        maxNodes: o.maxNodes,
      }),
      o.timeoutMs,
    );
  } catch (e) {
    throw new ServiceUnavailableError(
      `worker ${workerId}`,
      `no answer on ${subject} within ${o.timeoutMs} ms (${(e as Error).message}); is it running in cluster ${o.cluster}?`,
      e,
    );
  }
  const r = tryDecodeControlMessage(bytes);
  if (!r.ok || r.message.type !== 'graph_reply')
    throw new ServiceUnavailableError(`worker ${workerId}`, 'unexpected answer to a graph query');
  if (r.message.partition === null) throw new PartitionNotHeldError(workerId, o.partition);
  return r.message;
}

export async function runGraph(o: GraphOptions, io: CommandIo, bus: CliBus): Promise<GraphReply> {
  const g = await fetchGraph(o, bus);
  if (o.json) io.stdout.write(`${JSON.stringify(g)}\n`);
  else {
    io.stdout.write(g.dot);
    io.stderr.write(
      `# ${g.workerId} partition ${g.partition} (holds ${g.partitions.length}): ${g.nodes} nodes, ${g.edges} edges, ${g.shownNodes} drawn one by one${g.shownNodes < g.nodes ? ' (--all for every node)' : ''}\n`,
    );
  }
  return g;
}
