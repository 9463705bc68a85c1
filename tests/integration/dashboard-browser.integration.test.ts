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
import { DashboardFeed, dashboardHandler, serve } from '@ripple/coordinator';
import { clusterSubjects, encodeControlMessage } from '@ripple/protocol';
import { startTracing } from '@ripple/telemetry';
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

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const status = () => {
      const l = c.leader();
      return l === undefined ? null : { ...l.status('dashboard'), self: 'c0', acting: true };
    };
    http = await serve('127.0.0.1', [
      { port: 0, route: async () => null, raw: dashboardHandler({ feed, status, jaegerUrl: JAEGER }) },
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
    process.stdout.write(
      `${JSON.stringify({ suite: 'dashboard-browser', partitions: P, moved_visible_ms: movedMs, rebalance_spans: spans.length })}\n`,
    );
  }, 120_000);
});
