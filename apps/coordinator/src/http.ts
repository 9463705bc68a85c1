import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type Route = (url: string) => Promise<{ code: number; type: string; body: string } | null>;
/** Answers the request itself (streams, redirects) and returns true, or false to fall through to `route`. */
type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * One small HTTP server per port (API 9200, health 9201, metrics 9202 by
 * default; 0 = ephemeral, for tests). Returns the bound ports.
 */
export async function serve(
  host: string,
  listeners: readonly { port: number; route: Route; raw?: RawHandler }[],
): Promise<{ ports: number[]; close(): Promise<void> }> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (const l of listeners) {
    const s = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (l.raw?.(req, res) === true) return;
      const url = (req.url ?? '/').split('?')[0] ?? '/';
      l.route(url).then(
        (r) => {
          if (r === null) {
            res.writeHead(404);
            res.end();
            return;
          }
          res.writeHead(r.code, { 'content-type': r.type });
          res.end(r.body);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(e));
        },
      );
    });
    servers.push(s);
    ports.push(
      await new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(l.port, host, () => {
          const a = s.address();
          resolve(typeof a === 'object' && a !== null ? a.port : l.port);
        });
      }),
    );
  }
  return {
    ports,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections(); // open dashboard event streams too
            }),
        ),
      );
    },
  };
}

export const json = (code: number, value: unknown) => ({
  code,
  type: 'application/json',
  body: JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
});
