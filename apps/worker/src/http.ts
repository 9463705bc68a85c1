import { createServer, type Server } from 'node:http';
import type { Registry, RegistryContentType } from 'prom-client';
import type { Lifecycle } from './lifecycle.ts';

/**
 * Health (`/health`: alive unless Failed; `/ready`: Active only) and metrics
 * (`/metrics`, Prometheus text) endpoints. Health and metrics may share a port.
 */
export async function startHttp(options: {
  host: string;
  healthPort: number;
  metricsPort: number;
  lifecycle: Lifecycle;
  registry: Registry<RegistryContentType>;
  details?: () => unknown;
  /** Readiness beyond the lifecycle (e.g. partitions that did not start); defaults to `lifecycle.ready`. */
  ready?: () => boolean;
  /** Why the worker is not ready beyond its state (listed in `/ready` as `failed`). */
  failures?: () => readonly unknown[];
}): Promise<{ close(): Promise<void>; healthPort: number; metricsPort: number }> {
  const health = (url: string) => {
    const l = options.lifecycle;
    if (url === '/health' || url === '/healthz')
      return { code: l.healthy ? 200 : 503, body: { state: l.state } };
    if (url === '/ready' || url === '/readyz') {
      const ready = options.ready?.() ?? l.ready;
      const failed = options.failures?.() ?? [];
      const body = {
        state: l.state,
        details: options.details?.() ?? null,
        ...(failed.length > 0 ? { failed } : {}),
      };
      return { code: ready ? 200 : 503, body };
    }
    return null;
  };
  const handler = (metrics: boolean, withHealth: boolean) =>
    createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0] ?? '/';
      if (metrics && url === '/metrics') {
        options.registry
          .metrics()
          .then((text) => {
            res.writeHead(200, { 'content-type': options.registry.contentType });
            res.end(text);
          })
          .catch((e: unknown) => {
            res.writeHead(500);
            res.end(String(e));
          });
        return;
      }
      const h = withHealth ? health(url) : null;
      if (h !== null) {
        res.writeHead(h.code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(h.body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  const listen = (s: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, options.host, () => {
        const a = s.address();
        resolve(typeof a === 'object' && a !== null ? a.port : port);
      });
    });
  const servers: Server[] = [];
  let healthPort: number;
  let metricsPort: number;
  if (options.healthPort === options.metricsPort && options.healthPort !== 0) {
    const s = handler(true, true);
    servers.push(s);
    healthPort = metricsPort = await listen(s, options.healthPort);
  } else {
    const hs = handler(false, true);
    const ms = handler(true, false);
    servers.push(hs, ms);
    healthPort = await listen(hs, options.healthPort);
    metricsPort = await listen(ms, options.metricsPort);
  }
  return {
    healthPort,
    metricsPort,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
