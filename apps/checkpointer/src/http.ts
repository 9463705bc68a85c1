import { createServer, type Server } from 'node:http';
import type { Registry, RegistryContentType } from 'prom-client';

export interface HttpEndpoints {
  readonly healthPort: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

/**
 * `/health` (200 while the process runs), `/ready` (200 when ready, else 503
 * with the reason) and `/metrics` (Prometheus text), served on both ports.
 * Port 0 picks a free port (tests); the bound ports are returned.
 */
export async function startHttp(o: {
  readonly host: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly registry: Registry<RegistryContentType>;
  readonly ready: () => boolean;
  readonly details: () => unknown;
}): Promise<HttpEndpoints> {
  const serve = () =>
    createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      const json = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url === '/health') return json(200, { status: 'alive' });
      if (url === '/ready') {
        const ok = o.ready();
        return json(ok ? 200 : 503, { ready: ok, ...(o.details() as object) });
      }
      if (url === '/metrics') {
        o.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': o.registry.contentType });
            res.end(text);
          },
          (e: unknown) => json(500, { error: String(e) }),
        );
        return;
      }
      json(404, { error: 'not found' });
    });
  const listen = (s: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, o.host, () => {
        const a = s.address();
        resolve(typeof a === 'object' && a !== null ? a.port : port);
      });
    });
  const servers = [serve()];
  const healthPort = await listen(servers[0]!, o.healthPort);
  let metricsPort = healthPort;
  if (o.metricsPort !== o.healthPort || o.metricsPort === 0) {
    servers.push(serve());
    metricsPort = await listen(servers[1]!, o.metricsPort);
  }
  return {
    healthPort,
    metricsPort,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {}),
  };
}
