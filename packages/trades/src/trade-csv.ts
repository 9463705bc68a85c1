/**
 * The original's trade CSV: `symbol,price,size,timestamp_ns,venue`, no header,
 * lines starting with `#` and blank lines skipped, `\n` or `\r\n` endings.
 *
 * Parsing works on bytes (no per-line string): numbers are read digit by digit.
 * A price `ddd.ff` is computed as an integer divided by a power of ten, which is
 * the correctly rounded double (same as `Number("ddd.ff")`) while both fit in
 * 2^53 / 10^22; anything else falls back to `Number()`.
 *
 * Validation (each failure is a `BadLine` with a reason, never an exception):
 * exactly 5 fields; non-empty symbol; price a finite number > 0; size an
 * integer > 0 (up to 2^53); timestamp an integer in [0, 2^63 - 1] ns.
 *
 * Quoted fields (RFC 4180: `"..."`, `""` for a quote, commas and newlines
 * inside) are read on a slower path taken only by lines containing a quote;
 * `formatTrade` quotes a symbol or venue that needs it, so whatever it writes
 * reads back.
 */

import { INT64_MAX } from '@ripple/core';

export interface Trade {
  symbol: string;
  price: number;
  size: number;
  timestampNs: bigint;
  venue: string;
}

export interface BadLine {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

const COMMA = 44;
const NL = 10;
const CR = 13;
const HASH = 35;
const DOT = 46;
const QUOTE = 34;
const MAX_TS = INT64_MAX;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Incremental parser: feed byte chunks (lines may straddle chunks), get trades
 * and bad lines through callbacks; `end()` parses a last unterminated line.
 */
export class TradeCsvParser {
  private readonly onTrade: (t: Trade) => void;
  private readonly onBad: (b: BadLine) => void;
  private carry: Buffer | null = null;
  private lineNo = 0;
  /** Interned symbols and venues, by a hash of their bytes (see `intern`). */
  private readonly symbols = new Map<number, string>();
  private readonly venues = new Map<number, string>();
  private lastHi = -1;
  private lastHiBig = 0n;

  constructor(onTrade: (t: Trade) => void, onBad: (b: BadLine) => void) {
    this.onTrade = onTrade;
    this.onBad = onBad;
  }

  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    // One pass over the bytes: line ends and the first four commas of each line.
    const n = buf.length;
    let s = 0;
    let nc = 0;
    let c1 = -1;
    let c2 = -1;
    let c3 = -1;
    let c4 = -1;
    let inQuote = false;
    let quoted = false;
    let closedAt = -2;
    for (let i = 0; i < n; i++) {
      const b = buf[i] as number;
      if (b === QUOTE) {
        // A quote opens a field only at its start (or re-opens right after closing: `""`).
        if (inQuote) {
          inQuote = false;
          closedAt = i;
        } else if ((i === s || buf[i - 1] === COMMA || closedAt === i - 1) && buf[s] !== HASH) {
          inQuote = true;
          quoted = true;
        }
      } else if (inQuote) {
        // a comma or newline inside a quoted field is data
      } else if (b === COMMA) {
        if (nc === 0) c1 = i;
        else if (nc === 1) c2 = i;
        else if (nc === 2) c3 = i;
        else if (nc === 3) c4 = i;
        nc++;
      } else if (b === NL) {
        if (quoted) this.quotedLine(buf, s, i);
        else this.line(buf, s, i, nc, c1, c2, c3, c4);
        s = i + 1;
        nc = 0;
        quoted = false;
      }
    }
    if (s < n) this.carry = Buffer.from(buf.subarray(s, n));
  }

  end(): void {
    if (this.carry === null) return;
    const c = this.carry;
    this.carry = null;
    if (c.includes(QUOTE)) {
      this.quotedLine(c, 0, c.length);
      return;
    }
    const cs: number[] = [];
    for (let i = 0; i < c.length; i++) if (c[i] === COMMA) cs.push(i);
    this.line(c, 0, c.length, cs.length, cs[0] ?? -1, cs[1] ?? -1, cs[2] ?? -1, cs[3] ?? -1);
  }

  private line(
    buf: Buffer,
    s: number,
    e: number,
    nc: number,
    c1: number,
    c2: number,
    c3: number,
    c4: number,
  ): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === CR) e--;
    if (e === s) return; // blank
    let f = s;
    while (f < e && (buf[f] === 32 || buf[f] === 9)) f++;
    if (f === e || buf[f] === HASH) return; // blank or comment
    if (nc !== 4) {
      this.bad(buf, s, e, `expected 5 fields, got ${nc + 1}`);
      return;
    }
    if (c1 === s) {
      this.bad(buf, s, e, 'empty symbol');
      return;
    }
    const price = parsePrice(buf, c1 + 1, c2);
    if (!(price > 0) || price === Number.POSITIVE_INFINITY) {
      this.bad(
        buf,
        s,
        e,
        `price ${JSON.stringify(buf.toString('latin1', c1 + 1, c2))} is not a finite number > 0`,
      );
      return;
    }
    const size = parseUint(buf, c2 + 1, c3);
    if (!(size > 0)) {
      this.bad(buf, s, e, `size ${JSON.stringify(buf.toString('latin1', c2 + 1, c3))} is not an integer > 0`);
      return;
    }
    const ts = this.parseTimestamp(buf, c3 + 1, c4);
    if (ts === null) {
      const text = JSON.stringify(buf.toString('latin1', c3 + 1, c4));
      this.bad(buf, s, e, `timestamp_ns ${text} is not an integer in [0, 2^63-1]`);
      return;
    }
    const symbol = intern(this.symbols, buf, s, c1);
    const venue = intern(this.venues, buf, c4 + 1, e);
    this.onTrade({ symbol, price, size, timestampNs: ts, venue });
  }

  /**
   * A record with quoted fields (it may span lines): split by RFC 4180, then
   * the same checks as `line`, on the unquoted field texts.
   */
  private quotedLine(buf: Buffer, s: number, e: number): void {
    this.lineNo++;
    const first = this.lineNo;
    for (let i = s; i < e; i++) if (buf[i] === NL) this.lineNo++;
    const text = buf.toString('utf8', s, e).replace(/\r$/, '');
    const t = text.trimStart();
    if (t === '' || t.startsWith('#')) return;
    const r = this.quotedFields(text);
    if (typeof r === 'string') this.onBad({ line: first, reason: r, text: text.slice(0, 120) });
    else this.onTrade(r);
  }

  /** The trade of a quoted record, or why it is not one. */
  private quotedFields(text: string): Trade | string {
    const fields = splitCsvLine(text);
    if (fields === null) return 'unterminated quote, or text after a closing quote';
    if (fields.length !== 5) return `expected 5 fields, got ${fields.length}`;
    const [symbol, priceText, sizeText, tsText, venue] = fields as [string, string, string, string, string];
    if (symbol === '') return 'empty symbol';
    const pb = Buffer.from(priceText, 'latin1');
    const price = parsePrice(pb, 0, pb.length);
    if (!(price > 0) || price === Number.POSITIVE_INFINITY)
      return `price ${JSON.stringify(priceText)} is not a finite number > 0`;
    const sb = Buffer.from(sizeText, 'latin1');
    const size = parseUint(sb, 0, sb.length);
    if (!(size > 0)) return `size ${JSON.stringify(sizeText)} is not an integer > 0`;
    const tb = Buffer.from(tsText, 'latin1');
    const ts = this.parseTimestamp(tb, 0, tb.length);
    if (ts === null) return `timestamp_ns ${JSON.stringify(tsText)} is not an integer in [0, 2^63-1]`;
    return { symbol, price, size, timestampNs: ts, venue };
  }

  /** Integer nanoseconds in [0, 2^63-1], else null. The high digits' bigint is cached (they rarely change). */
  private parseTimestamp(buf: Buffer, s: number, e: number): bigint | null {
    const len = e - s;
    if (len <= 0 || len > 19) return null;
    let hi = 0;
    let lo = 0;
    const split = len > 15 ? e - 15 : s;
    for (let i = s; i < e; i++) {
      const c = buf[i] as number;
      if (c < 48 || c > 57) return null;
      if (i < split) hi = hi * 10 + (c - 48);
      else lo = lo * 10 + (c - 48);
    }
    if (split === s) return BigInt(lo);
    if (hi !== this.lastHi) {
      this.lastHi = hi;
      this.lastHiBig = BigInt(hi) * 1_000_000_000_000_000n;
    }
    const v = this.lastHiBig + BigInt(lo);
    return v <= MAX_TS ? v : null;
  }

  private bad(buf: Buffer, s: number, e: number, reason: string): void {
    const text = buf.toString('utf8', s, Math.min(e, s + 120));
    this.onBad({ line: this.lineNo, reason, text });
  }
}

/** NaN when not a plain decimal number. */
function parsePrice(buf: Buffer, s: number, e: number): number {
  let int = 0;
  let digits = 0;
  let frac = -1;
  for (let i = s; i < e; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) {
      int = int * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === DOT && frac < 0) {
      frac = 0;
    } else {
      return slowNumber(buf, s, e);
    }
  }
  if (digits === 0) return Number.NaN;
  if (digits > 15) return slowNumber(buf, s, e);
  return frac <= 0 ? int : int / (POW10[frac] as number);
}

function slowNumber(buf: Buffer, s: number, e: number): number {
  const t = buf.toString('latin1', s, e).trim();
  if (t === '') return Number.NaN;
  return Number(t);
}

/** A positive integer up to 2^53, else NaN. */
function parseUint(buf: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 16) return Number.NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) return Number.NaN;
    v = v * 10 + (c - 48);
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : Number.NaN;
}

/**
 * One string object per distinct field text (symbols, venues), found by a hash
 * of the bytes: no string is decoded for a field seen before. Non-ASCII text is
 * decoded as UTF-8 and compared by value.
 */
function intern(table: Map<number, string>, buf: Buffer, s: number, e: number): string {
  let h = 0x811c9dc5;
  let ascii = true;
  for (let i = s; i < e; i++) {
    const c = buf[i] as number;
    if (c >= 128) ascii = false;
    h = Math.imul(h ^ c, 0x01000193);
  }
  h = (h ^ (e - s)) >>> 0;
  const hit = table.get(h);
  if (hit !== undefined && ascii && hit.length === e - s) {
    let same = true;
    for (let i = 0; i < hit.length; i++) {
      if (hit.charCodeAt(i) !== buf[s + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const text = buf.toString('utf8', s, e);
  if (hit === undefined) table.set(h, text);
  else if (!ascii && hit === text) return hit;
  return text;
}

/** A CSV field, quoted when it holds a comma, quote, CR or LF, or starts with '#' or blank. */
export function csvField(text: string): string {
  return /[",\r\n]|^[#\s]|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Fields of one CSV record (RFC 4180 quoting); null when a quote is
 * unterminated or text follows a closing quote.
 */
export function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === QUOTE) {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === QUOTE) {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i === line.length) return out;
      if (line.charCodeAt(i) !== COMMA) return null;
      i++;
    } else {
      const c = line.indexOf(',', i);
      const end = c < 0 ? line.length : c;
      const v = line.slice(i, end);
      if (v.includes('"')) return null;
      out.push(v);
      if (c < 0) return out;
      i = c + 1;
    }
  }
}

/** One trade as a CSV line (no newline); `TradeCsvParser` reads it back. */
export function formatTrade(t: Trade): string {
  return `${csvField(t.symbol)},${t.price},${t.size},${t.timestampNs},${csvField(t.venue)}`;
}
