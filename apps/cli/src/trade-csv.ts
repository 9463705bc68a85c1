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
 */

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
const MAX_TS = 2n ** 63n - 1n;
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
  /** Symbols seen, by their bytes: one string object per symbol (fast Map lookups downstream). */
  private readonly symbols = new Map<string, string>();

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
    let start = 0;
    const n = buf.length;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      this.line(buf, start, nl);
      start = nl + 1;
    }
    if (start < n) this.carry = Buffer.from(buf.subarray(start, n));
  }

  end(): void {
    if (this.carry !== null) {
      const c = this.carry;
      this.carry = null;
      this.line(c, 0, c.length);
    }
  }

  private line(buf: Buffer, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === CR) e--;
    if (e === s) return; // blank
    let f = s;
    while (f < e && (buf[f] === 32 || buf[f] === 9)) f++;
    if (f === e || buf[f] === HASH) return; // blank or comment
    // Field boundaries.
    const c1 = buf.indexOf(COMMA, s);
    const c2 = c1 < 0 || c1 >= e ? -1 : buf.indexOf(COMMA, c1 + 1);
    const c3 = c2 < 0 || c2 >= e ? -1 : buf.indexOf(COMMA, c2 + 1);
    const c4 = c3 < 0 || c3 >= e ? -1 : buf.indexOf(COMMA, c3 + 1);
    if (c4 < 0 || c4 >= e) {
      this.bad(buf, s, e, `expected 5 fields, got ${countFields(buf, s, e)}`);
      return;
    }
    const c5 = buf.indexOf(COMMA, c4 + 1);
    if (c5 >= 0 && c5 < e) {
      this.bad(buf, s, e, `expected 5 fields, got ${countFields(buf, s, e)}`);
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
    const ts = parseTimestamp(buf, c3 + 1, c4);
    if (ts === null) {
      this.bad(
        buf,
        s,
        e,
        `timestamp_ns ${JSON.stringify(buf.toString('latin1', c3 + 1, c4))} is not an integer in [0, 2^63-1]`,
      );
      return;
    }
    const raw = buf.toString('utf8', s, c1);
    let symbol = this.symbols.get(raw);
    if (symbol === undefined) {
      symbol = raw;
      this.symbols.set(raw, raw);
    }
    this.onTrade({ symbol, price, size, timestampNs: ts, venue: buf.toString('utf8', c4 + 1, e) });
  }

  private bad(buf: Buffer, s: number, e: number, reason: string): void {
    const text = buf.toString('utf8', s, Math.min(e, s + 120));
    this.onBad({ line: this.lineNo, reason, text });
  }
}

function countFields(buf: Buffer, s: number, e: number): number {
  let n = 1;
  for (let i = s; i < e; i++) if (buf[i] === COMMA) n++;
  return n;
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

/** Integer nanoseconds in [0, 2^63-1], else null. */
function parseTimestamp(buf: Buffer, s: number, e: number): bigint | null {
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
  const v = split === s ? BigInt(lo) : BigInt(hi) * 1_000_000_000_000_000n + BigInt(lo);
  return v <= MAX_TS ? v : null;
}

/** One trade as a CSV line (no newline). */
export function formatTrade(t: Trade): string {
  return `${t.symbol},${t.price},${t.size},${t.timestampNs},${t.venue}`;
}
