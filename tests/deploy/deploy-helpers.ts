// Shared by the deploy suites: the exact comparison against the oracle, the
// coordinators' acting flags, and the cleanup of a run's NATS KV buckets.
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { clusterSubjects, type StatusResponse } from '@ripple/protocol';
import { expect } from 'vitest';
import {
  makeStream,
  produce,
  type Stream,
  sleep,
  type streamOracle,
  type TopicRecord,
} from '../integration/worker-harness.ts';

/** The deploy scenarios' stream: 200,000 trades over 400 symbols (about 1,460 windows of 10 s). */
export const deployStream = (seed: number): Stream =>
  makeStream({ trades: 200_000, symbols: 400, tradesPerRecord: 100, seed, malformedEvery: 250 });

/**
 * Produces the first quarter of every partition's records now and returns a
 * function that produces the rest in `slices` slices, 1 s apart (trades keep
 * flowing while the scenario changes the cluster).
 */
export async function produceFirstQuarter(
  brokers: string[],
  topic: string,
  stream: Stream,
): Promise<(slices: number) => Promise<void>> {
  const longest = Math.max(...stream.records.map((r) => r.length));
  const first = Math.ceil(longest / 4);
  await produce(
    brokers,
    topic,
    stream.records.map((r) => r.slice(0, first)),
  );
  return async (slices) => {
    const per = Math.ceil((longest - first) / slices);
    for (let i = first; i < longest; i += per) {
      await produce(
        brokers,
        topic,
        stream.records.map((r) => r.slice(i, i + per)),
      );
      await sleep(1000);
    }
  };
}

/** Every oracle window present with the same count, volume and VWAP; no window the oracle lacks. */
export function expectExact(
  got: { windows: ReturnType<typeof streamOracle>['windows'] },
  want: ReturnType<typeof streamOracle>['windows'],
): void {
  const differ: string[] = [];
  for (const [k, w] of want) {
    const g = got.windows.get(k);
    if (g?.count !== w.count || g.volume !== w.volume || Math.abs(g.vwap - w.vwap) > 1e-9 * Math.abs(w.vwap))
      differ.push(`${k}: got ${JSON.stringify(g)} want ${JSON.stringify(w)}`);
  }
  const unexpected = [...got.windows.keys()].filter((k) => !want.has(k));
  expect(want.size).toBeGreaterThan(1000);
  expect(differ.slice(0, 3), `${differ.length} window(s) missing or different`).toEqual([]);
  expect(unexpected.slice(0, 3), `${unexpected.length} unexpected window(s)`).toEqual([]);
}

/** The `acting` flag of each coordinator's /ready, by health port (undefined while one does not answer). */
export async function coordinatorsActing(
  healthPorts: readonly number[],
): Promise<Array<boolean | undefined>> {
  const out: Array<boolean | undefined> = [];
  for (const port of healthPorts) {
    try {
      const r = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as { acting?: boolean };
      out.push(r.acting);
    } catch {
      out.push(undefined);
    }
  }
  return out;
}

/** The acting flags once every coordinator answers and exactly one acts. */
export async function oneActing(healthPorts: readonly number[]): Promise<boolean[] | undefined> {
  const a = await coordinatorsActing(healthPorts);
  return a.filter((x) => x === true).length === 1 && a.every((x) => x !== undefined)
    ? (a as boolean[])
    : undefined;
}

/** Deletes the lease and state KV buckets of `cluster` in the shared NATS. */
export async function dropClusterBuckets(natsUrl: string, cluster: string): Promise<void> {
  const nc = await connect({ servers: natsUrl.split(',') });
  try {
    const s = clusterSubjects(cluster);
    for (const b of [s.leaseBucket, s.stateBucket])
      await (await new Kvm(nc).open(b)).destroy().catch(() => {});
  } finally {
    await nc.drain();
  }
}

/** The acting coordinator's partition table (GET /status on the API ports, the one answering `acting`). */
export async function actingStatus(apiPorts: readonly number[]): Promise<StatusResponse | undefined> {
  for (const port of apiPorts) {
    try {
      const r = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as StatusResponse & {
        acting?: boolean;
      };
      if (r.acting === true) return r;
    } catch {
      // that coordinator is not up
    }
  }
  return undefined;
}

/**
 * The table once the active workers are exactly `ids`, every partition is
 * owned by one of them, nothing moves, no rebalance is in progress and the
 * epoch is at least `minEpoch` (a worker registers before the rebalance that
 * gives it partitions starts). With 8 partitions on a hash ring a worker may
 * own none, so owning some is not required.
 */
export async function settledOn(
  apiPorts: readonly number[],
  ids: readonly string[],
  minEpoch = 0,
): Promise<StatusResponse | undefined> {
  const st = await actingStatus(apiPorts);
  if (st?.partitions === undefined || st.unassigned.length > 0 || st.epoch < minEpoch) return undefined;
  if (st.rebalances?.some((r) => r.finishedAtMs === null)) return undefined;
  if (!st.partitions.every((p) => p.movingTo === null && p.workerId !== null && ids.includes(p.workerId)))
    return undefined;
  const active = st.workers.filter((w) => w.state === 'active').map((w) => w.workerId);
  return active.length === ids.length && ids.every((w) => active.includes(w)) ? st : undefined;
}

/**
 * settledOn, and the same epoch again `forMs` later: workers that start
 * together register one by one, and a table can look settled between one's
 * registration and the rebalance that gives it partitions.
 */
export async function stableOn(
  apiPorts: readonly number[],
  ids: readonly string[],
  forMs = 3000,
): Promise<StatusResponse | undefined> {
  const a = await settledOn(apiPorts, ids);
  if (a === undefined) return undefined;
  await new Promise((r) => setTimeout(r, forMs));
  const b = await settledOn(apiPorts, ids, a.epoch);
  return b !== undefined && b.epoch === a.epoch ? b : undefined;
}

/** The workers that wrote each (output partition, epoch) (headers ripple-epoch, ripple-worker). */
export function writersPerEpoch(records: readonly TopicRecord[]): Map<string, Set<string>> {
  const writers = new Map<string, Set<string>>();
  for (const r of records) {
    const key = `${r.partition}@${r.headers.get('ripple-epoch')}`;
    const set = writers.get(key) ?? new Set<string>();
    set.add(r.headers.get('ripple-worker') ?? '?');
    writers.set(key, set);
  }
  return writers;
}
