import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latencyBoundMs } from '@ripple/test-support';
import { afterEach, describe, expect, it } from 'vitest';

// A worker process stays responsive in every source mode (issue 9): /ready
// and /metrics answer within 100 ms while it processes at full speed and
// when idle, and an idle worker waits on its source instead of spinning
// (< 2 % of a core). The Kafka source is covered by the integration suite.

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const SEC = 1_000_000_000n;

interface Proc {
  child: ChildProcess;
  health: number;
  metrics: number;
  log(): string;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** The first fetch of a process loads the HTTP client (hundreds of ms): pay that before measuring. */
async function warmClient(): Promise<void> {
  const server = createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  await (await fetch(`http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/`)).text();
  await new Promise<void>((r) => server.close(() => r()));
}

async function startWorker(env: Record<string, string>): Promise<Proc> {
  await warmClient();
  const child = spawn(process.execPath, ['--conditions=@ripple/source', MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      RIPPLE_WORKER_ID: 'resp',
      RIPPLE_HEALTH_PORT: '0',
      RIPPLE_METRICS_PORT: '0',
      RIPPLE_NUM_PARTITIONS: '8',
      RIPPLE_PARTITIONS: '0-7',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(child);
  let log = '';
  const ports = await new Promise<{ health: number; metrics: number }>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      log += c;
      const m = /"health":(\d+),"metrics":(\d+)[^\n]*"msg":"listening"/.exec(log);
      if (m !== null) resolve({ health: Number(m[1]), metrics: Number(m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${log}`)));
  });
  return { child, ...ports, log: () => log };
}

/** Time of one GET (ms). */
async function timeGet(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await r.text();
  return performance.now() - t0;
}

/** CPU time (user + system, ms) of a process, from /proc. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] ?? Number.POSITIVE_INFINITY;
}

/** Records consumed so far, from a /metrics body. */
function recordsIn(metricsText: string): number {
  let n = 0;
  for (const m of metricsText.matchAll(/ripple_worker_records_in_total\{[^}]*\} (\d+)/g)) n += Number(m[1]);
  return n;
}

async function expectResponsiveAndIdle(p: Proc): Promise<void> {
  // From start-up to the end of the input, poll /ready and /metrics every 5 ms.
  const ready: number[] = [];
  const metrics: number[] = [];
  const seen: number[] = [];
  let still = 0;
  for (let i = 0; i < 5000 && still < 40; i++) {
    ready.push(await timeGet(`http://127.0.0.1:${p.health}/ready`));
    const t0 = performance.now();
    const body = await (await fetch(`http://127.0.0.1:${p.metrics}/metrics`)).text();
    metrics.push(performance.now() - t0);
    const n = recordsIn(body);
    still = n > 0 && n === seen[seen.length - 1] ? still + 1 : 0;
    seen.push(n);
    await new Promise((r) => setTimeout(r, 5));
  }
  const final = seen[seen.length - 1] ?? 0;
  const busy = seen.filter((n) => n < final).length;
  expect(final, 'records consumed').toBeGreaterThan(0);
  expect(busy, 'samples taken before the input was consumed').toBeGreaterThanOrEqual(3);
  // 90 % within 100 ms; none stalls (the code before issue 9 never answered in
  // memory mode). This test runs beside the whole unit suite on 2 shared
  // cores: at a load average of 15 a few requests (3 of 59 seen) waited
  // ~330 ms for a core on either side of the socket, whatever the worker does.
  // (100 ms and 1 s with a core to spare, scaled by the run queue per core
  // when there is none: latencyBoundMs.)
  const b100 = latencyBoundMs(100);
  const b1000 = latencyBoundMs(1000);
  expect(p90(ready), `/ready latencies (ms) ${ready.map(Math.round)}; ${b100.why}`).toBeLessThan(b100.bound);
  expect(p90(metrics), `/metrics latencies (ms) ${metrics.map(Math.round)}; ${b100.why}`).toBeLessThan(
    b100.bound,
  );
  expect(Math.max(...ready, ...metrics), b1000.why).toBeLessThan(b1000.bound);
  // Idle: input exhausted; the worker must wait on its source, not spin.
  const pid = p.child.pid as number;
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const share = (cpuMs(pid) - c0) / (performance.now() - t0);
  expect(share, 'CPU share of an idle worker').toBeLessThan(0.02);
  // Idle answers: the median of 7 requests each, so that one request that
  // waited for a core (148 ms seen once at load 20, CI beside 7 agents) is
  // not read as a slow worker; a worker that blocks its loop fails all 7.
  const idleReady: number[] = [];
  const idleMetrics: number[] = [];
  for (let i = 0; i < 7; i++) {
    idleReady.push(await timeGet(`http://127.0.0.1:${p.health}/ready`));
    idleMetrics.push(await timeGet(`http://127.0.0.1:${p.metrics}/metrics`));
  }
  const idle = latencyBoundMs(100);
  expect(median(idleReady), `idle /ready (ms) ${idleReady.map(Math.round)}; ${idle.why}`).toBeLessThan(
    idle.bound,
  );
  expect(median(idleMetrics), `idle /metrics (ms) ${idleMetrics.map(Math.round)}; ${idle.why}`).toBeLessThan(
    idle.bound,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.POSITIVE_INFINITY;
}

describe('worker responsiveness', { timeout: 60_000 }, () => {
  it('memory source (embedded mode, local snapshots)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-resp-'));
    const p = await startWorker({
      RIPPLE_SOURCE: 'memory',
      RIPPLE_SNAPSHOT_STORE: 'local',
      RIPPLE_CHECKPOINT_CACHE_DIR: dir,
      RIPPLE_SYNTHETIC_EVENTS: '2000000',
    });
    await expectResponsiveAndIdle(p);
  });

  it('file source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-resp-file-'));
    for (let part = 0; part < 8; part++) {
      const lines: string[] = [];
      for (let i = 0; i < 200_000; i++)
        lines.push(
          `S${part}${i % 50},${100 + (i % 7)},${1 + (i % 5)},${1_700_000_000n * SEC + BigInt(i) * 1_000_000n},XNAS`,
        );
      writeFileSync(join(dir, `trades-p${part}.csv`), `${lines.join('\n')}\n`);
    }
    const p = await startWorker({
      RIPPLE_SOURCE: 'file',
      RIPPLE_SNAPSHOT_STORE: 'local',
      RIPPLE_CHECKPOINT_CACHE_DIR: join(dir, 'ck'),
      RIPPLE_INPUT_DIR: dir,
      RIPPLE_OUTPUT_DIR: join(dir, 'out'),
    });
    await expectResponsiveAndIdle(p);
  });
});
