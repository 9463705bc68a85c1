/**
 * Queryable state: the worker answers questions about what it holds over
 * the control bus (request/reply on `clusterSubjects(cluster).query(workerId)`,
 * NATS or the embedded hub), without an RPC server of its own.
 *
 * - `key_query` (`ripple query SYMBOL`): the key's windows and last output
 *   from the job partition holding it. `ok` only when the partition is held
 *   and live (caught up since its assignment); `moving` while it is being
 *   restored / replayed here (the value would be behind); `not_owner` when
 *   it is not held (moved away, or not arrived yet).
 * - `graph_query` (`ripple graph`): DOT of one partition's graph (the one
 *   asked, else the biggest held), at most `maxNodes` drawn one by one, the
 *   rest aggregated; halved until the reply fits the bus's message size.
 *
 * Requests are validated where they enter: one that does not decode, or is
 * addressed to another worker, gets no reply (the asker times out) and is
 * counted (`ripple_worker_queries_total{kind="refused",status=<code>}`).
 * Reads only: a query never changes state, and runs between the loop's steps.
 */
import type { BusSubscription, ControlBus } from '@ripple/cluster';
import {
  clusterSubjects,
  DEFAULT_MAX_CONTROL_BYTES,
  encodeControlMessage,
  type GraphQuery,
  type GraphReply,
  type KeyQuery,
  type KeyQueryReply,
  type QueriedWindow,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import type { JobPartition, KeyWindowView } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Logger } from './ports.ts';

/** What the responder reads from the runtime (the Worker). */
export interface QueryTarget {
  owned(): number[];
  inspect(partition: number): { part: JobPartition; epoch: number; live: boolean } | undefined;
}

export interface QueryResponderOptions {
  readonly bus: ControlBus;
  readonly cluster: string;
  readonly workerId: string;
  readonly target: QueryTarget;
  readonly metrics: Pick<WorkerMetrics, 'queries'>;
  readonly logger: Logger;
  /** reply size limit (default the NATS default max_payload) */
  readonly maxBytes?: number;
}

const MAX_FIELDS = 64;
const MAX_TEXT = 1024;

/** Starts answering; `unsubscribe()` stops. */
export function serveQueries(o: QueryResponderOptions): BusSubscription {
  const subject = clusterSubjects(o.cluster).query(o.workerId);
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_CONTROL_BYTES;
  return o.bus.subscribe(subject, (m) => {
    if (m.respond === undefined) return; // a publish, not a request: nobody to answer
    const r = tryDecodeControlMessage(m.data);
    if (!r.ok) {
      o.metrics.queries.inc({ kind: 'refused', status: r.error.code });
      o.logger.warn('query refused', { code: r.error.code, error: r.error.message });
      return;
    }
    const q = r.message;
    if ((q.type !== 'key_query' && q.type !== 'graph_query') || q.workerId !== o.workerId) {
      o.metrics.queries.inc({ kind: 'refused', status: 'CTRL_UNEXPECTED' });
      o.logger.warn('query refused', { type: q.type, detail: 'not a query addressed to this worker' });
      return;
    }
    const reply =
      q.type === 'key_query' ? answerKey(q, o.workerId, o.target) : answerGraph(q, o.target, maxBytes);
    o.metrics.queries.inc({
      kind: q.type === 'key_query' ? 'key' : 'graph',
      status: reply.type === 'key_query_reply' ? reply.status : reply.partition === null ? 'none' : 'ok',
    });
    m.respond(encodeControlMessage(reply));
  });
}

/** The reply to a key query (pure: reads the target). */
export function answerKey(q: KeyQuery, workerId: string, target: QueryTarget): KeyQueryReply {
  const base = {
    type: 'key_query_reply',
    v: 1,
    requestId: q.requestId,
    workerId,
    key: q.key,
    partition: q.partition,
  } as const;
  const held = target.inspect(q.partition);
  if (held === undefined)
    return {
      ...base,
      status: 'not_owner',
      heldEpoch: null,
      watermarkNs: null,
      windows: [],
      lastEmitted: null,
    };
  if (!held.live || held.part.query === undefined)
    return {
      ...base,
      status: 'moving',
      heldEpoch: held.epoch,
      watermarkNs: null,
      windows: [],
      lastEmitted: null,
    };
  const view = held.part.query(q.key);
  return {
    ...base,
    status: 'ok',
    heldEpoch: held.epoch,
    watermarkNs: clampInt64(held.part.watermarkNs),
    windows: view.windows.map(window),
    lastEmitted: view.lastEmitted === null ? null : window(view.lastEmitted),
  };
}

/** The reply to a graph query, halving the drawn nodes until it fits `maxBytes`. */
export function answerGraph(q: GraphQuery, target: QueryTarget, maxBytes: number): GraphReply {
  const partitions = target.owned();
  let partition: number | null = q.partition;
  if (partition === null) {
    let most = -1;
    for (const p of partitions) {
      const n = target.inspect(p)?.part.graphStats().nodeCount ?? -1;
      if (n > most) {
        most = n;
        partition = p;
      }
    }
  }
  const held = partition === null ? undefined : target.inspect(partition);
  const base = {
    type: 'graph_reply',
    v: 1,
    requestId: q.requestId,
    workerId: q.workerId,
    partitions,
  } as const;
  if (held === undefined || held.part.graphDot === undefined)
    return { ...base, partition: null, nodes: 0, edges: 0, shownNodes: 0, dot: '' };
  for (let cap = q.maxNodes; ; cap = Math.floor(cap / 2)) {
    const g = held.part.graphDot(cap);
    const reply: GraphReply = { ...base, partition: partition as number, ...g };
    // the JSON escaping of DOT's quotes and newlines: measured on the encoded reply
    if (cap <= 1 || encodeControlMessage(reply).byteLength <= maxBytes) return reply;
  }
}

function window(w: KeyWindowView): QueriedWindow {
  const fields: Record<string, string | number | boolean | null> = {};
  let n = 0;
  for (const [k, v] of Object.entries(w.value)) {
    if (n++ >= MAX_FIELDS || k.length === 0 || k.length > MAX_FIELDS) continue;
    fields[k] = scalar(v);
  }
  return { startNs: w.startNs, endNs: w.endNs, closed: w.closed, fields };
}

/** A field as the wire carries it: int64 as decimal text, anything structured as JSON text. */
function scalar(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean') return v;
  const text =
    typeof v === 'string'
      ? v
      : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return (text ?? '').slice(0, MAX_TEXT);
}

const INT64_MIN = -(2n ** 63n);
function clampInt64(x: bigint): bigint {
  return x < INT64_MIN ? INT64_MIN : x;
}
