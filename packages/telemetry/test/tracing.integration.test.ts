/**
 * Spans ended just before (and during) SIGTERM reach Jaeger: the real OTLP
 * endpoint and query API (`source infra/.run/env`). Each run SIGTERMs a child
 * right after it ended its span, with an earlier batch's export in flight.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const OTLP = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const JAEGER = process.env.JAEGER_QUERY_URL;
if (OTLP === undefined || JAEGER === undefined)
  throw new Error('OTEL_EXPORTER_OTLP_ENDPOINT and JAEGER_QUERY_URL must be set (source infra/.run/env)');

const fixture = fileURLToPath(new URL('./fixtures/span-at-sigterm.ts', import.meta.url));

async function runOnce(service: string): Promise<{ traceId: string; code: number | null }> {
  const child = spawn(process.execPath, ['--conditions=@ripple/source', fixture], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: OTLP, SPAN_TEST_SERVICE: service },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  let out = '';
  const traceId = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) {
        child.kill('SIGTERM'); // at once: the span ended microseconds ago
        resolve(out.split('\n')[0] ?? '');
      }
    });
    void exited.then((c) => reject(new Error(`fixture exited ${c} before its span`)));
  });
  return { traceId, code: await exited };
}

async function operations(service: string): Promise<Map<string, number>> {
  const r = await fetch(`${JAEGER}/api/traces?service=${encodeURIComponent(service)}&limit=1000&lookback=1h`);
  const body = (await r.json()) as { data?: Array<{ spans: Array<{ operationName: string }> }> };
  const ops = new Map<string, number>();
  for (const t of body.data ?? [])
    for (const s of t.spans) ops.set(s.operationName, (ops.get(s.operationName) ?? 0) + 1);
  return ops;
}

describe('tracing at SIGTERM (real Jaeger)', () => {
  it('every span ended before or during SIGTERM is exported, 5 runs of 5', async () => {
    const runs = 5;
    const service = `ripple-telemetry-it-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < runs; i++) expect((await runOnce(service)).code).toBe(0);
    let ops = new Map<string, number>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      ops = await operations(service);
      if (
        (ops.get('ripple.test.before-sigterm') ?? 0) >= runs &&
        (ops.get('ripple.test.during-sigterm') ?? 0) >= runs
      )
        break;
      await new Promise((r) => setTimeout(r, 500));
    }
    process.stdout.write(
      `${JSON.stringify({ suite: 'telemetry-sigterm', runs, spans: Object.fromEntries(ops) })}\n`,
    );
    expect(ops.get('ripple.test.before-sigterm')).toBe(runs);
    expect(ops.get('ripple.test.during-sigterm')).toBe(runs);
    expect(ops.get('ripple.test.early')).toBe(runs * 50);
  });
});
