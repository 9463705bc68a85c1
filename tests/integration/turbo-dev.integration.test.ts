// `pnpm turbo dev` as a user runs it, on the real services: the coordinator, the checkpointer and two
// workers come up in one cluster, trades flow, Ctrl-C (SIGINT to the whole process group, as a
// terminal sends it) stops every process well inside turbo's grace (no "Force killed"), exit 0;
// a second `pnpm turbo dev` restores from the committed checkpoints and the output of both runs
// is exact against the oracle. The dev workers hear no coordinator once it has stopped, so they
// stop after the drain's 5 s of silence rather than the whole shutdown grace.
// Measured idle: about 70 s for the two runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { clusterSubjects } from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { dropClusterState, outputAgainstOracle, producePaced, waitAllProcessed } from './cluster-harness.ts';
import { eventually, requireEnv, sleep, uniqueId } from './helpers.ts';
import {
  createTopics,
  deleteTopics,
  makeStream,
  PARTITIONS,
  progress,
  type Topics,
  type WorkerProcess,
} from './worker-harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const env = requireEnv('KAFKA_BROKERS', 'NATS_URL', 'S3_ENDPOINT', 'S3_BUCKET');
const brokers = env.KAFKA_BROKERS.split(',');
const id = uniqueId();
const cluster = `dev-it-${id}`;
const PORT_BASE = 19_100 + Math.floor(Math.random() * 400) * 10;

interface DevRun {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
}

function turboDev(topics: Topics): DevRun {
  let out = '';
  const child = spawn('pnpm', ['turbo', 'dev', '--ui=stream'], {
    cwd: ROOT,
    // its own process group: the test sends SIGINT to the group, as a terminal's Ctrl-C does
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      RIPPLE_CLUSTER: cluster,
      RIPPLE_DEV_WORKERS: '2',
      RIPPLE_DEV_PORT_BASE: String(PORT_BASE),
      RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_S3_PREFIX: `dev-it/${id}`,
      RIPPLE_CHECKPOINT_INTERVAL_SEC: '2',
      // the oracle's windows (cluster-harness)
      RIPPLE_WINDOW: '250ms',
      RIPPLE_LATENESS: '250ms',
      RIPPLE_OUT_OF_ORDERNESS: '1s',
      RIPPLE_MAX_BATCH_RECORDS: '200',
      TURBO_TELEMETRY_DISABLED: '1',
      DO_NOT_TRACK: '1',
    },
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, log: () => out };
}

/** The dev workers as the harness's WorkerProcess (only the ports are used). */
const devWorkers = (run: DevRun): WorkerProcess[] =>
  [0, 1].map((i) => ({
    child: run.child,
    healthPort: PORT_BASE + 10 * i,
    metricsPort: PORT_BASE + 2 + 10 * i,
    exited: run.exited.then((e) => e.code),
    log: run.log,
  }));

async function owned(run: DevRun): Promise<number> {
  let n = 0;
  for (const w of devWorkers(run)) n += (await progress(w))?.details?.length ?? 0;
  return n;
}

/**
 * Ctrl-C: SIGINT to the process group. pnpm, on top, exits at once on SIGINT (as any program
 * would: 130 in a shell); turbo below it forwards the signal to its tasks and waits for them. The
 * run is over when the whole group is gone: every process must have ended by itself.
 */
async function ctrlC(
  run: DevRun,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }> {
  const t0 = Date.now();
  const pgid = run.child.pid as number;
  process.kill(-pgid, 'SIGINT');
  const end = await run.exited;
  while (alive(-pgid) && Date.now() - t0 < 40_000) await sleep(100);
  if (alive(-pgid)) {
    process.kill(-pgid, 'SIGKILL');
    throw new Error(
      `pnpm turbo dev's processes still ran 40 s after Ctrl-C; log:\n${run.log().slice(-4000)}`,
    );
  }
  return { code: end.code, signal: end.signal, seconds: (Date.now() - t0) / 1000 };
}

/** pids the run's dev.ts printed ("ripple dev: dev-worker-0 started (pid N)"). */
const appPids = (log: string): number[] =>
  [...log.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));

/** Whether a process (pid) or a process group (-pgid) still exists. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let topics: Topics | null = null;
const runs: DevRun[] = [];

afterAll(async () => {
  for (const r of runs)
    if (r.child.exitCode === null && r.child.signalCode === null) {
      try {
        process.kill(-(r.child.pid as number), 'SIGKILL');
      } catch {}
    }
  for (const r of runs) for (const pid of appPids(r.log())) if (alive(pid)) process.kill(-pid, 'SIGKILL');
  if (topics !== null) await deleteTopics(brokers, topics).catch(() => {});
  const nc = await connect({ servers: env.NATS_URL });
  await dropClusterState(nc, clusterSubjects(cluster));
}, 60_000);

describe('pnpm turbo dev on the real services', () => {
  test('trades flow, Ctrl-C stops everything cleanly, a second run restores: output exact', async () => {
    topics = await createTopics(brokers, `dev-it-${id}`);
    const stream = makeStream({
      trades: 8_000,
      symbols: 32,
      tradesPerRecord: 10,
      seed: 4242,
      malformedEvery: 89,
    });
    const half = {
      ...stream,
      records: stream.records.map((r) => r.slice(0, Math.floor(r.length / 2))),
    };
    const rest = {
      ...stream,
      records: stream.records.map((r) => r.slice(Math.floor(r.length / 2))),
    };

    const first = turboDev(topics);
    runs.push(first);
    await eventually('first run: the workers own all partitions', 90_000, async () =>
      (await owned(first)) === PARTITIONS ? true : undefined,
    );
    await producePaced(brokers, topics.input, half, 4, 300);
    // processed, and a checkpoint committed after it (the checkpointer's log line says so)
    await waitAllProcessed(devWorkers(first), half, 60_000);
    const committedBefore = (first.log().match(/checkpoint committed/g) ?? []).length;
    await eventually('first run: one more checkpoint committed', 30_000, async () =>
      (first.log().match(/checkpoint committed/g) ?? []).length > committedBefore ? true : undefined,
    );

    const stop1 = await ctrlC(first);
    expect(stop1.code === 0 || stop1.signal === 'SIGINT', first.log().slice(-3000)).toBe(true);
    expect(stop1.seconds).toBeLessThan(20);
    expect(first.log()).not.toMatch(/Force killed/);
    expect(first.log()).not.toMatch(/ELIFECYCLE|ERR_PNPM/);
    const pids1 = appPids(first.log());
    expect(pids1.length).toBe(4); // coordinator, checkpointer, two workers (their `node --watch` parents)
    await eventually('first run: no app process left', 10_000, async () =>
      pids1.some(alive) ? undefined : true,
    );

    const second = turboDev(topics);
    runs.push(second);
    await eventually('second run: the workers own all partitions', 90_000, async () =>
      (await owned(second)) === PARTITIONS ? true : undefined,
    );
    expect(second.log()).toMatch(/restor/i);
    await producePaced(brokers, topics.input, rest, 4, 300);
    const out = await outputAgainstOracle(brokers, topics.output, stream);
    expect(out.contract.windows.size).toBe(out.oracleWindows);
    expect(out.wrong.slice(0, 3), `${out.wrong.length} window(s) differ from the oracle`).toEqual([]);

    const stop2 = await ctrlC(second);
    expect(stop2.code === 0 || stop2.signal === 'SIGINT', second.log().slice(-3000)).toBe(true);
    expect(stop2.seconds).toBeLessThan(20);
    expect(second.log()).not.toMatch(/Force killed/);
    expect(second.log()).not.toMatch(/ELIFECYCLE|ERR_PNPM/);
    console.log(
      JSON.stringify({
        suite: 'turbo-dev',
        windows: out.oracleWindows,
        ctrl_c_exit_s: [stop1.seconds, stop2.seconds],
        committed_before_stop: committedBefore + 1,
      }),
    );
  }, 300_000);
});
