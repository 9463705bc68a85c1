/**
 * The hub's wire format: one JSON object per line over the socket, binary
 * payloads in base64. Client -> hub: `pub`, `sub`/`unsub` (with a client
 * chosen id), `req` (id; the hub delivers it with a reply token), `reply`
 * (token), `kvget`/`kvput` (id). Hub -> client: `msg` (sub id, subject,
 * data, headers, optional reply token), `res` (request or kv answer by id).
 */
import type { BusHeaders } from '@ripple/cluster';

export type ClientFrame =
  | { t: 'pub'; s: string; d: string; h?: BusHeaders }
  | { t: 'sub'; id: number; s: string }
  | { t: 'unsub'; id: number }
  | { t: 'req'; id: number; s: string; d: string; h?: BusHeaders; ms: number }
  | { t: 'reply'; r: string; d: string; h?: BusHeaders }
  | { t: 'kvget'; id: number; b: string; k: string }
  | { t: 'kvput'; id: number; b: string; k: string; d: string; rev: number };

export type HubFrame =
  | { t: 'msg'; id: number; s: string; d: string; h: BusHeaders; r?: string }
  | { t: 'res'; id: number; ok: true; d?: string; h?: BusHeaders; rev?: number | null }
  | { t: 'res'; id: number; ok: false; err: string; code: 'timeout' | 'no_responders' | 'conflict' | 'bad' };

export const b64 = (u: Uint8Array): string =>
  Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** Splits a byte stream into lines, JSON-parsed. */
export function lineReader(onFrame: (f: unknown) => void): (chunk: Buffer) => void {
  let carry = '';
  return (chunk) => {
    const text = carry + chunk.toString('utf8');
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) if (l !== '') onFrame(JSON.parse(l));
  };
}
