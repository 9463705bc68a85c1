/**
 * The Grafana dashboard (infra/grafana/ripple-cluster.json) and the alert
 * rules (infra/grafana/alerts.yml) query only metrics the apps export: the
 * three apps run as real processes (worker in embedded mode, coordinator on
 * the real NATS, checkpointer on its memory bus and store), each /metrics is
 * scraped, and every metric name in every query must be a family of a scrape
 * (a histogram's _bucket/_sum/_count and a counter's _total resolved to it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, uniqueId } from './helpers.ts';

const NATS_URL = process.env.NATS_URL;
if (NATS_URL === undefined) throw new Error('NATS_URL must be set (source infra/.run/env)');
const root = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

/** Starts an app's src/main.ts; resolves with the metrics port its log names. */
async function startApp(
  app: string,
  env: Record<string, string>,
  port: (log: Record<string, unknown>) => number | undefined,
) {
  const child = spawn(process.execPath, ['--conditions=@ripple/source', `${root}apps/${app}/src/main.ts`], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', RIPPLE_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let found: number | undefined;
  let buf = '';
  child.stderr?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        found ??= port(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    }
  });
  return await eventually(`${app} listening`, 30_000, async () => found);
}

/** Metric families of a scrape, with their types. */
async function families(port: number): Promise<Map<string, string>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The family a queried series name belongs to, if any. */
function familyOf(name: string, known: Map<string, string>): string | undefined {
  if (known.has(name)) return name;
  const total = name.replace(/_total$/, '');
  if (name.endsWith('_total') && known.get(total) === 'counter') return total;
  const h = name.replace(/_(bucket|sum|count)$/, '');
  if (h !== name && known.get(h) === 'histogram') return h;
  return undefined;
}

const names = (expr: string) =>
  [...expr.matchAll(/\b(?:ripple|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0]);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('Grafana dashboard and alert rules against real scrapes', () => {
  it('every metric they query is exported by a running app', async () => {
    const cluster = `graf-${uniqueId().replace(/[^a-z0-9-]/g, '')}`;
    const workerPort = await startApp(
      'worker',
      {
        RIPPLE_WORKER_ID: 'graf-w0',
        RIPPLE_SOURCE: 'memory',
        RIPPLE_SNAPSHOT_STORE: 'memory',
        RIPPLE_NUM_PARTITIONS: '4',
        RIPPLE_PARTITIONS: '0-3',
        RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
      },
      (l) => (l.msg === 'listening' ? (l.metrics as number) : undefined),
    );
    const coordinatorPort = await startApp(
      'coordinator',
      {
        RIPPLE_COORDINATOR_ID: 'graf-c0',
        NATS_URL,
        RIPPLE_CLUSTER: cluster,
        RIPPLE_NUM_PARTITIONS: '4',
        RIPPLE_API_PORT: '0',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
      },
      (l) => (l.msg === 'coordinator listening' ? (l.metrics as number) : undefined),
    );
    const checkpointerPort = await startApp(
      'checkpointer',
      {
        RIPPLE_CLUSTER: cluster,
        RIPPLE_BUS: 'memory',
        RIPPLE_STORE: 'memory',
        RIPPLE_STATIC_PARTITIONS: '4',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
      },
      (l) => (l.msg === 'listening' ? (l.healthPort as number) : undefined),
    );
    // every app's families, and which app has each
    const known = new Map<string, string>();
    for (const port of [workerPort, coordinatorPort, checkpointerPort]) {
      const f = await families(port);
      expect(f.has('nodejs_eventloop_lag_seconds'), 'process defaults on every app').toBe(true);
      for (const [k, v] of f) known.set(k, v);
    }

    const dashboard = JSON.parse(readFileSync(`${root}infra/grafana/ripple-cluster.json`, 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) =>
      p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
    );
    const rules = readFileSync(`${root}infra/grafana/alerts.yml`, 'utf8');
    for (const m of rules.matchAll(/^\s*- alert: (\S+)\n\s*(?:#.*\n\s*)*expr: (.+)$/gm))
      exprs.push({ where: `alert ${m[1]}`, expr: m[2]! });
    const alerts = [...rules.matchAll(/- alert: (\S+)/g)].map((m) => m[1]);
    expect(exprs.filter((e) => e.where.startsWith('alert')).length).toBe(alerts.length);
    for (const want of [
      'RippleWorkerDown',
      'RipplePartitionUnowned',
      'RippleCheckpointStale',
      'RippleLagGrowing',
      'RippleDeadLetterRate',
    ])
      expect(alerts).toContain(want);

    const missing: string[] = [];
    let checked = 0;
    for (const { where, expr } of exprs) {
      const ns = names(expr);
      if (ns.length === 0 && !/\bup\b/.test(expr)) missing.push(`${where}: no metric in ${expr}`);
      for (const n of ns) {
        checked++;
        if (familyOf(n, known) === undefined) missing.push(`${where}: ${n}`);
      }
    }
    process.stdout.write(
      `${JSON.stringify({ suite: 'grafana-metrics', queries: exprs.length, metric_refs: checked, families_scraped: known.size })}\n`,
    );
    expect(missing).toEqual([]);
  }, 90_000);
});
