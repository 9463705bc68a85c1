/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a running in-process cluster (LocalCluster: two
 * coordinator replicas and three worker agents over one MemoryBus), served
 * by the coordinator's dashboard handler, with the real Jaeger behind the
 * trace waterfalls (spans exported over OTLP by this process).
 * States checked, each with a screenshot in test-artifacts/dashboard/:
 * three workers own every partition; a worker leaves (crash) and its
 * partitions move within a bound; a rebalance's trace as a waterfall; a
 * checkpoint with its trace (trigger and acks published on the bus as the
 * checkpointer and workers do; LocalCluster has no checkpointer).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { LocalCluster, MemoryBus, MemoryKv } from '@ripple/cluster';
import { DashboardFeed, dashboardHandler, serve, VwapBoard } from '@ripple/coordinator';
import {
  clusterSubjects,
  encodeControlMessage,
  SchemaRegistry,
  type Trade,
  TradeBatchEncoder,
} from '@ripple/protocol';
import { startTracing } from '@ripple/telemetry';
import { oracle } from '@ripple/test-support';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import {
  joinCluster,
  loadConfig,
  MemorySink,
  MemorySnapshotStore,
  MemorySource,
  MemoryTopic,
  vwapJob,
  Worker,
  WorkerMetrics,
} from '@ripple/worker';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueId } from './helpers.ts';

const JAEGER = process.env.JAEGER_QUERY_URL;
const OTLP = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (JAEGER === undefined || OTLP === undefined)
  throw new Error('JAEGER_QUERY_URL and OTEL_EXPORTER_OTLP_ENDPOINT must be set (source infra/.run/env)');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');

const P = 24;
const HEARTBEAT_MS = 100;
const FAILURE_MS = 1000;
const LEASE_MS = 600;
const SEC = 1_000_000_000n;

/** The worker runtime (VWAP job, in-memory topics and snapshots) as a cluster member over `bus`. */
function startRealWorker(cluster: string, bus: MemoryBus, id: string) {
  const config = loadConfig({
    RIPPLE_WORKER_ID: id,
    RIPPLE_CLUSTER: cluster,
    NATS_URL: 'nats://127.0.0.1:1', // not used: the agent speaks over `bus`
    RIPPLE_SOURCE: 'memory',
    RIPPLE_SNAPSHOT_STORE: 'memory',
    RIPPLE_NUM_PARTITIONS: String(P),
    RIPPLE_INPUT_TOPIC: 'dash-trades',
    RIPPLE_WINDOW: '10s',
    RIPPLE_LATENESS: '5s',
    RIPPLE_OUT_OF_ORDERNESS: '1s',
    RIPPLE_HEARTBEAT_INTERVAL_SEC: String(HEARTBEAT_MS / 1000),
  });
  const input = new MemoryTopic(config.inputTopic, P);
  const output = new MemoryTopic(config.outputTopic, P);
  const topics = [
    output,
    new MemoryTopic(config.dlqTopic, P),
    new MemoryTopic(`${config.inputTopic}-late`, P),
  ];
  const worker = new Worker({
    config,
    job: vwapJob,
    source: new MemorySource(input),
    sink: new MemorySink(new Map(topics.map((t) => [t.name, t]))),
    store: new MemorySnapshotStore(),
    metrics: new WorkerMetrics(id),
    lateTopic: `${config.inputTopic}-late`,
  });
  const loop = worker.start([]).then(() => worker.run());
  const member = joinCluster({ worker, bus, config, incarnation: `${id}-1` });
  return {
    worker,
    input,
    output,
    stop: async () => {
      member.close();
      worker.requestStop();
      await loop;
    },
  };
}

describe('dashboard in headless Chromium', () => {
  const cluster = `dash-${uniqueId().slice(0, 8)}`;
  const bus = new MemoryBus();
  const lease = new MemoryKv();
  const state = new MemoryKv();
  const c = new LocalCluster({
    cluster,
    numPartitions: P,
    heartbeatMs: HEARTBEAT_MS,
    failureMs: FAILURE_MS,
    leaseTtlMs: LEASE_MS,
    bus: () => bus,
    leaseKv: () => lease,
    stateKv: () => state,
  });
  const feed = new DashboardFeed();
  // The VWAP table's board, fed from the real worker's output topic (in memory here; the Kafka
  // reader of the coordinator is tested against the real broker in dashboard-vwap.integration).
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  const vwap = new VwapBoard(schemas);
  const tracing = startTracing({
    serviceName: `ripple-dashboard-it-${cluster}`,
    instanceId: 'browser-test',
    endpoint: OTLP,
    warn: (m) => process.stderr.write(`tracing: ${m}\n`),
  });
  let http: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let page: Page;
  let url: string;
  let stopW4: () => Promise<void> = async () => {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const status = () => {
      const l = c.leader();
      return l === undefined ? null : { ...l.status('dashboard'), self: 'c0', acting: true };
    };
    http = await serve('127.0.0.1', [
      { port: 0, route: async () => null, raw: dashboardHandler({ feed, status, jaegerUrl: JAEGER, vwap }) },
    ]);
    url = `http://127.0.0.1:${http.ports[0]}/dashboard/`;
    feed.attach(bus, clusterSubjects(cluster));
    c.startCoordinator('c0');
    c.startCoordinator('c1');
    for (const w of ['w1', 'w2', 'w3']) c.startWorker(w);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await stopW4();
    await browser?.close();
    feed.close();
    await c.stop();
    await http?.close();
    await tracing.shutdown();
  });

  it('shows three workers, a worker leaving and its partitions moving, a rebalance trace and a checkpoint trace', async () => {
    const bound = FAILURE_MS + LEASE_MS + 20 * HEARTBEAT_MS;
    await eventually('3 workers converged', 5 * bound, async () =>
      c.converged() !== undefined ? true : undefined,
    );
    await page.goto(url);
    // three workers in the members table, every partition owned in the grid
    await page.waitForSelector('body[data-workers="3"]', { timeout: 10_000 });
    await page.waitForFunction(
      (n) => {
        const cells = [...document.querySelectorAll('#grid li')];
        return cells.length === n && cells.every((li) => (li as HTMLElement).dataset.owner !== '');
      },
      P,
      { timeout: 10_000 },
    );
    const members = await page.$$eval('#members tbody tr', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.worker),
    );
    expect(members.sort()).toEqual(['w1', 'w2', 'w3']);
    const owners = await page.$$eval('#grid li', (cells) => [
      ...new Set(cells.map((li) => (li as HTMLElement).dataset.owner)),
    ]);
    expect(owners.sort()).toEqual(['w1', 'w2', 'w3']);
    // the grid is described for screen readers
    expect(await page.getAttribute('#grid li:first-child', 'aria-label')).toMatch(
      /^Partition 0: owned by w\d, epoch \d+, lag/,
    );
    await page.screenshot({ path: join(ARTIFACTS, '1-three-workers.png'), fullPage: true });

    // a worker leaves: its partitions move to the other two within the bound
    const w3Parts = await page.$$eval('#grid li[data-owner="w3"]', (cells) => cells.length);
    expect(w3Parts).toBeGreaterThan(0);
    const epochBefore = Number(await page.getAttribute('body', 'data-epoch'));
    const t0 = performance.now();
    c.crashWorker('w3');
    await page.waitForFunction(
      (n) => {
        const cells = [...document.querySelectorAll('#grid li')];
        return (
          document.body.dataset.workers === '2' &&
          cells.length === n &&
          cells.every(
            (li) =>
              ['w1', 'w2'].includes((li as HTMLElement).dataset.owner ?? '') &&
              !li.classList.contains('moving'),
          )
        );
      },
      P,
      { timeout: 3 * bound },
    );
    const movedMs = Math.round(performance.now() - t0);
    // measured ~1.3 s (failure timeout 1 s + a rebalance); bound: failure + lease + 20 heartbeats, ×3 for load
    expect(movedMs).toBeLessThan(3 * bound);
    expect(Number(await page.getAttribute('body', 'data-epoch'))).toBeGreaterThan(epochBefore);
    await page.screenshot({ path: join(ARTIFACTS, '2-worker-left.png'), fullPage: true });

    // the rebalance's trace from Jaeger: opened with the keyboard (focus + Enter)
    const button = page.locator('#rebalances tbody tr:first-child button[data-trace]');
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#waterfall li').length >= 2 &&
        (document.querySelector('#waterfall li') as HTMLElement | null)?.dataset.span === 'ripple.rebalance',
      undefined,
      { timeout: 30_000 },
    );
    const spans = await page.$$eval('#waterfall li', (li) => li.map((x) => (x as HTMLElement).dataset.span));
    expect(spans[0]).toBe('ripple.rebalance');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('trace-h');
    await page.screenshot({ path: join(ARTIFACTS, '3-rebalance-trace.png'), fullPage: true });

    // a checkpoint: the trigger (with the trace context of its root span) and one ack per partition
    const subjects = clusterSubjects(cluster);
    const checkpointId = `ck-${Date.now()}`;
    const tracer = trace.getTracer('dashboard-test');
    const root = tracer.startSpan('ripple.checkpoint', { attributes: { 'ripple.checkpoint': checkpointId } });
    const ctx = trace.setSpan(context.active(), root);
    const headers: Record<string, string> = {};
    propagation.inject(ctx, headers);
    const epoch = c.leader()!.machine.currentEpoch;
    bus.publish(
      subjects.checkpointTrigger,
      encodeControlMessage({
        type: 'checkpoint_trigger',
        v: 1,
        checkpointId,
        epoch,
        deadlineMs: Date.now() + 10_000,
      }),
      headers,
    );
    for (const [i, w] of ['w1', 'w2'].entries()) {
      const child = tracer.startSpan(
        'ripple.worker.checkpoint',
        { attributes: { 'ripple.partition': i } },
        ctx,
      );
      bus.publish(
        subjects.checkpointAck,
        encodeControlMessage({
          type: 'checkpoint_ack',
          v: 1,
          checkpointId,
          epoch,
          workerId: w,
          partition: i,
          snapshotKey: `snapshots/p${i}/${checkpointId}.full.snap`,
          bytes: 4096 * (i + 1),
          crc32c: 0,
          offsets: [],
        } as never),
      );
      child.end();
    }
    root.end();
    await page.waitForSelector(`#checkpoints tr[data-checkpoint="${checkpointId}"]`, { timeout: 10_000 });
    const row = await page.textContent(`#checkpoints tr[data-checkpoint="${checkpointId}"]`);
    expect(row).toContain('12.0 KiB');
    await page.click(`#checkpoints tr[data-checkpoint="${checkpointId}"] button[data-trace]`);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#waterfall li')].some(
          (li) => (li as HTMLElement).dataset.span === 'ripple.checkpoint',
        ),
      undefined,
      { timeout: 30_000 },
    );
    await page.screenshot({ path: join(ARTIFACTS, '4-checkpoint-trace.png'), fullPage: true });

    // A real worker runtime (the VWAP job over in-memory topics) joins as w4 and is fed bad
    // records: malformed ones (dead letters) and events beyond the allowed lateness (late data).
    // Its heartbeats carry the counts by reason; the page shows them.
    const w4 = startRealWorker(cluster, bus, 'w4');
    const read = new Array<number>(P).fill(0);
    const pump = setInterval(() => {
      w4.output.partitions.forEach((records, p) => {
        for (; read[p]! < records.length; read[p]!++) {
          const v = records[read[p]!]!.value;
          if (v !== null) vwap.consume(p, v);
        }
      });
    }, 100);
    stopW4 = async () => {
      clearInterval(pump);
      await w4.stop();
    };
    await page.waitForSelector('body[data-workers="3"] #members tr[data-worker="w4"]', {
      timeout: 3 * bound,
    });
    await eventually('w4 owns partitions', 3 * bound, async () =>
      w4.worker.owned().length > 0 ? true : undefined,
    );
    const mine = w4.worker.owned()[0]!;
    // window A: 10 s starting 120 s ago (event times well before the records' log time, none in the future)
    const windowA = ((BigInt(Date.now()) * 1_000_000n - 120n * SEC) / (10n * SEC)) * 10n * SEC;
    const fed: Trade[] = [];
    const batch = (trades: Trade[]) => {
      const enc = new TradeBatchEncoder();
      for (const t of trades) enc.add(t);
      fed.push(...trades);
      return enc.finish({ sequence: 0 });
    };
    const t = (symbol: string, atNs: bigint, price: number, size: number): Trade => ({
      symbol,
      price,
      size,
      timestampNs: atNs,
      venue: 'XNAS',
    });
    w4.input.append(
      mine,
      batch([
        t('DASH', windowA + 1n * SEC, 101.25, 300),
        t('ASHX', windowA + 1n * SEC, 7, 10),
        t('DASH', windowA + 2n * SEC, 101.5, 200),
      ]),
    );
    w4.input.append(mine, new TextEncoder().encode('not a trade batch'));
    w4.input.append(mine, batch([t('DASH', windowA + 4n * SEC, 100.75, 500)]));
    w4.input.append(mine, new Uint8Array([0x52, 0x49, 0x50, 0x50, 1, 2, 3])); // "RIPP" then garbage
    // the watermark passes window A's end + lateness: A is closed, its value final
    w4.input.append(mine, batch([t('DASH', windowA + 60n * SEC, 99, 1)]));
    w4.input.append(mine, batch([t('DASH', windowA + 5n * SEC, 1, 1)])); // late: window A has closed
    w4.input.append(mine, batch([t('ASHX', windowA + 6n * SEC, 1, 1)])); // late
    w4.input.append(mine, new Uint8Array([0xff]));
    await page.waitForFunction(
      () => {
        const row = (kind: string, reason: string) =>
          document.querySelector(
            `#diverted tr[data-kind="${kind}"][data-reason="${reason}"]`,
          ) as HTMLElement | null;
        return (
          row('dead_letter', 'malformed')?.dataset.total === '3' && row('late', 'late')?.dataset.total === '2'
        );
      },
      undefined,
      { timeout: 30_000 },
    );
    const diverted = await page.$$eval('#diverted tbody tr', (rows) =>
      rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent).join('\t')),
    );
    expect(diverted[0]).toMatch(/^dead letter\tmalformed — not a valid trade batch\t3\t[0-9.]+\tw4: 3$/);
    expect(diverted[1]).toMatch(
      /^late data\tlate — later than the allowed lateness: its window had closed\t2\t[0-9.]+\tw4: 2$/,
    );
    expect(await page.isHidden('#diverted-none')).toBe(true);
    await page.locator('#diverted').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '5-dead-letters-and-late.png'), fullPage: true });

    // The live VWAP table: search for one symbol with the keyboard; its closed window shows the oracle's value.
    const expected = oracle({ trades: [fed] }, 10n * SEC, 5n * SEC, SEC).windows.get(`DASH@${windowA}`)!;
    expect(expected).toMatchObject({ count: 3, volume: 1000 });
    await page.focus('#vwap-q');
    await page.keyboard.type('da');
    const rowA = `#vwap[data-query="da"] tr[data-symbol="DASH"][data-window-start="${windowA}"]`;
    await page.waitForSelector(rowA, { timeout: 20_000 });
    await page.waitForFunction(
      (sel) => (document.querySelector(sel) as HTMLElement | null)?.dataset.volume === '1000',
      rowA,
      { timeout: 20_000 },
    );
    expect(Number(await page.getAttribute(rowA, 'data-vwap'))).toBeCloseTo(expected.vwap, 9);
    expect(
      await page.$$eval('#vwap tbody tr', (rows) => [
        ...new Set(rows.map((r) => (r as HTMLElement).dataset.symbol)),
      ]),
    ).toEqual(['DASH']);
    expect(await page.textContent('#vwap-status')).toMatch(/^1 of 2 symbols match “da”/);
    await page.locator('#vwap').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '6-vwap-search.png'), fullPage: true });
    process.stdout.write(
      `${JSON.stringify({ suite: 'dashboard-browser', partitions: P, moved_visible_ms: movedMs, rebalance_spans: spans.length })}\n`,
    );
  }, 120_000);
});
