/**
 * The dashboard's HTTP side, on the coordinator's API port: the page and its
 * assets (shipped in the package under `dashboard/`, uPlot from its npm
 * package: no build step), `GET /api/dashboard` (one snapshot),
 * `GET /api/dashboard/events` (Server-Sent Events: a snapshot a second),
 * `GET /api/vwap?q=PREFIX&limit=N` and `/api/vwap/events?q=…` (the VWAP
 * table's rows for a symbol search, once / a second) and
 * `GET /api/traces/<id>` (a trace's waterfall from the Jaeger query API, when
 * JAEGER_QUERY_URL is configured).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardFeed, DashboardSnapshot } from './feed.ts';
import { fetchWaterfall, TraceNotFoundError } from './jaeger.ts';
import type { VwapBoard } from './vwap-board.ts';

export interface DashboardOptions {
  readonly feed: DashboardFeed;
  readonly status: () => DashboardSnapshot['status'];
  readonly jaegerUrl: string | null;
  /** the VWAP table's rows (null: no output topic configured) */
  readonly vwap?: VwapBoard | null;
  /** SSE period (ms) */
  readonly periodMs?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/** `dashboard/` of the package, from src/dashboard or dist/src/dashboard. */
const ASSET_DIRS = [join(here, '../../dashboard'), join(here, '../../../dashboard')];
const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

function asset(name: string): { type: string; body: Buffer } | null {
  if (!/^[a-z0-9-]+\.(html|js|css)$/.test(name)) return null;
  const type = TYPES[name.slice(name.lastIndexOf('.'))]!;
  if (name === 'uplot.js' || name === 'uplot.css') {
    const file = require.resolve(
      name === 'uplot.js' ? 'uplot/dist/uPlot.iife.min.js' : 'uplot/dist/uPlot.min.css',
    );
    return { type, body: readFileSync(file) };
  }
  for (const d of ASSET_DIRS) {
    try {
      return { type, body: readFileSync(join(d, name)) };
    } catch {}
  }
  return null;
}

/** Handles the dashboard's routes; false for any other URL. */
export function dashboardHandler(
  o: DashboardOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const snapshot = () => o.feed.snapshot(o.status(), o.jaegerUrl !== null);
  const send = (res: ServerResponse, code: number, type: string, body: string | Buffer) => {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const vwap = (search: URLSearchParams) => {
    const q = (search.get('q') ?? '').slice(0, 64);
    const limit = Math.min(200, Math.max(1, Number(search.get('limit') ?? '50') || 50));
    return (
      o.vwap?.view(q, limit) ?? {
        rows: [],
        matched: 0,
        symbols: 0,
        applied: 0,
        dropped: 0,
        undecodable: 0,
        source: 'not configured (set KAFKA_BROKERS to read the output topic)',
      }
    );
  };
  const stream = (req: IncomingMessage, res: ServerResponse, body: () => unknown) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const push = () => res.write(`data: ${stringify(body())}\n\n`);
    push();
    const timer = setInterval(push, o.periodMs ?? 1000);
    req.on('close', () => clearInterval(timer));
  };
  return (req, res) => {
    const [url = '/', query = ''] = (req.url ?? '/').split('?');
    if (url === '/' || url === '/dashboard') {
      res.writeHead(302, { location: '/dashboard/' });
      res.end();
      return true;
    }
    if (url.startsWith('/dashboard/')) {
      const a = asset(url.slice('/dashboard/'.length) || 'index.html');
      if (a === null) send(res, 404, 'text/plain', 'not found');
      else send(res, 200, a.type, a.body);
      return true;
    }
    if (url === '/api/dashboard') {
      send(res, 200, 'application/json', stringify(snapshot()));
      return true;
    }
    if (url === '/api/dashboard/events') {
      stream(req, res, snapshot);
      return true;
    }
    if (url === '/api/vwap') {
      send(res, 200, 'application/json', stringify(vwap(new URLSearchParams(query))));
      return true;
    }
    if (url === '/api/vwap/events') {
      const search = new URLSearchParams(query);
      stream(req, res, () => vwap(search));
      return true;
    }
    const m = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url);
    if (m !== null) {
      if (o.jaegerUrl === null) {
        send(res, 404, 'application/json', stringify({ error: 'JAEGER_QUERY_URL is not configured' }));
        return true;
      }
      fetchWaterfall(o.jaegerUrl, m[1]!).then(
        (spans) => send(res, 200, 'application/json', stringify({ traceId: m[1], spans })),
        (e: unknown) =>
          send(
            res,
            e instanceof TraceNotFoundError ? 404 : 502,
            'application/json',
            stringify({ error: e instanceof Error ? e.message : String(e) }),
          ),
      );
      return true;
    }
    return false;
  };
}

const stringify = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
