import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, logLevel, startTracing, tracesEndpoint } from '../src/index.ts';
import { KeepingExporter } from './keeping-exporter.ts';

function lines(): { stream: Writable; read: () => Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return {
    stream,
    read: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('tracing setup', () => {
  it('is off without an endpoint, on with OTEL_EXPORTER_OTLP_ENDPOINT or the traces endpoint', () => {
    expect(tracesEndpoint({ env: {} })).toBeNull();
    expect(tracesEndpoint({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318/' } })).toBe(
      'http://j:4318/v1/traces',
    );
    expect(tracesEndpoint({ env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/v1/traces' } })).toBe(
      'http://t/v1/traces',
    );
    expect(tracesEndpoint({ endpoint: 'http://c:4318', env: {} })).toBe('http://c:4318/v1/traces');
    expect(
      tracesEndpoint({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j', OTEL_SDK_DISABLED: 'true' } }),
    ).toBeNull();
    expect(
      tracesEndpoint({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j', OTEL_TRACES_EXPORTER: 'none' } }),
    ).toBeNull();
    const off = startTracing({ serviceName: 's', instanceId: 'i', warn: () => {}, env: {} });
    expect(off.enabled).toBe(false);
  });

  it('a span ended just before shutdown is exported; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults', async () => {
    const exporter = new KeepingExporter();
    vi.stubEnv('OTEL_SERVICE_NAME', 'ripple-worker-eu');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=test,service.instance.id=pod-7');
    const env = { OTEL_BSP_SCHEDULE_DELAY: '60000' }; // nothing leaves by the timer: only the shutdown flush exports
    const t = startTracing({ serviceName: 'ripple-worker', instanceId: 'w1', warn: () => {}, env, exporter });
    expect(t.enabled).toBe(true);
    trace.getTracer('test').startActiveSpan('last', (s) => s.end());
    await t.shutdown();
    const spans = exporter.spans;
    expect(spans.map((s) => s.name)).toEqual(['last']);
    const attrs = spans[0]?.resource.attributes ?? {};
    expect(attrs['service.name']).toBe('ripple-worker-eu');
    expect(attrs['service.instance.id']).toBe('pod-7');
    expect(attrs['deployment.environment']).toBe('test');
    await t.shutdown(); // idempotent
  });

  it('defaults name the service and instance; OTEL_TRACES_SAMPLER=always_off records nothing', async () => {
    const exporter = new KeepingExporter();
    const t = startTracing({
      serviceName: 'ripple-coordinator',
      instanceId: 'c1',
      warn: () => {},
      env: {},
      exporter,
    });
    trace.getTracer('test').startSpan('one').end();
    await t.shutdown();
    const attrs = exporter.spans[0]?.resource.attributes ?? {};
    expect(attrs['service.name']).toBe('ripple-coordinator');
    expect(attrs['service.instance.id']).toBe('c1');

    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    const none = new KeepingExporter();
    const off = startTracing({
      serviceName: 's',
      instanceId: 'i',
      warn: () => {},
      env: {},
      exporter: none,
    });
    trace.getTracer('test').startSpan('dropped').end();
    await off.shutdown();
    expect(none.spans).toEqual([]);
  });
});

describe('logger', () => {
  it('writes JSON with level, ts, fixed fields and msg; trace and span id inside a span only', async () => {
    const exporter = new KeepingExporter();
    const t = startTracing({ serviceName: 's', instanceId: 'i', warn: () => {}, env: {}, exporter });
    const out = lines();
    const log = createLogger({
      fields: { component: 'worker', worker: 'w1' },
      env: {},
      destination: out.stream,
    });
    log.info('outside', { partition: 3, offset: 12n });
    let ids: { traceId: string; spanId: string } | undefined;
    trace.getTracer('test').startActiveSpan('batch', (s) => {
      ids = s.spanContext();
      log.warn('inside');
      s.end();
    });
    log.debug('hidden at info');
    await t.shutdown();
    const [a, b, ...rest] = out.read();
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      level: 'info',
      component: 'worker',
      worker: 'w1',
      partition: 3,
      msg: 'outside',
    });
    expect(a?.offset).toBe(12);
    expect(typeof a?.ts).toBe('string');
    expect(a?.trace_id).toBeUndefined();
    expect(b).toMatchObject({ level: 'warn', msg: 'inside', trace_id: ids?.traceId, span_id: ids?.spanId });
  });

  it('LOG_LEVEL sets the level; an unknown level is a typed error naming the variable', () => {
    expect(logLevel({})).toBe('info');
    expect(logLevel({ LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(() => logLevel({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: "loud"/);
    const out = lines();
    const log = createLogger({ fields: {}, env: { LOG_LEVEL: 'debug' }, destination: out.stream });
    log.debug('per-partition detail', { partition: 1 });
    expect(out.read()).toMatchObject([{ level: 'debug', msg: 'per-partition detail' }]);
  });
});
