// An HTTP proxy in front of the real S3 endpoint that can refuse writes
// (PUT/POST/DELETE answered 503 SlowDown, like a throttling S3) for a while:
// fault injection at the network seam, the adapter and the service are the
// real ones. Listens on 127.0.0.1, port 0.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class S3FaultProxy {
  refuseWrites = false;
  refused = 0;
  forwarded = 0;
  private readonly server: Server;
  private readonly target: URL;

  private constructor(target: string) {
    this.target = new URL(target);
    this.server = createServer((req, res) => {
      const write = req.method === 'PUT' || req.method === 'POST' || req.method === 'DELETE';
      if (write && this.refuseWrites) {
        this.refused++;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>',
        );
        return;
      }
      this.forwarded++;
      const up = request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      req.pipe(up);
    });
  }

  static async start(target: string): Promise<S3FaultProxy> {
    const p = new S3FaultProxy(target);
    await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
    return p;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
