/**
 * Per-sender sequencing: a sender numbers its frames 0, 1, 2, ...
 * (`SequenceCounter`); the receiver keeps one `ReceiveBuffer` per sender that
 * delivers each sequence number at most once and in order.
 *
 * Invariants of a `ReceiveBuffer` (checked by the property tests):
 * - delivered sequence numbers are strictly increasing, each at most once;
 * - every number below `nextExpected` was either delivered or reported in a
 *   gap, never both; duplicates (already delivered, skipped or buffered) are
 *   dropped and counted;
 * - an item whose number is within `capacity` of `nextExpected` is buffered
 *   until its predecessors arrive (reordering within the bound costs nothing);
 * - a number at or beyond `nextExpected + capacity` forces the buffer to
 *   give up on the oldest missing numbers: they are reported as gaps and the
 *   buffered items before the new one are delivered;
 * - memory is bounded by `capacity` slots; `backpressure` = buffered/capacity.
 */
import { InvalidSequenceError, InvalidValueError } from './errors.ts';

/** Hands out 0, 1, 2, ... (or from `start`); one per sender and stream. */
export class SequenceCounter {
  #next: number;
  constructor(start = 0) {
    if (!Number.isSafeInteger(start) || start < 0) throw new InvalidSequenceError(start);
    this.#next = start;
  }

  next(): number {
    const s = this.#next;
    if (s === Number.MAX_SAFE_INTEGER) throw new InvalidSequenceError(s + 1);
    this.#next = s + 1;
    return s;
  }

  /** The number the next call to `next()` returns. */
  get peek(): number {
    return this.#next;
  }
}

export type OfferResult = 'delivered' | 'buffered' | 'duplicate';

export interface ReceiveBufferOptions<T> {
  /** reorder bound: how many numbers ahead of the next expected one may wait (>= 1) */
  readonly capacity: number;
  /** the first expected sequence number (default 0, e.g. a restored position) */
  readonly firstSequence?: number;
  /** called in order for each delivered item */
  readonly deliver: (item: T, sequence: number) => void;
  /** called for each maximal run of numbers given up on, `from..to` inclusive */
  readonly onGap?: (from: number, to: number) => void;
}

export interface ReceiveBufferStats {
  readonly delivered: number;
  readonly duplicates: number;
  /** numbers given up on (sum of gap lengths) */
  readonly missing: number;
  readonly gaps: number;
  readonly buffered: number;
}

export class ReceiveBuffer<T> {
  readonly capacity: number;
  readonly #slots: (T | undefined)[];
  readonly #present: Uint8Array;
  readonly #deliver: (item: T, sequence: number) => void;
  readonly #onGap: ((from: number, to: number) => void) | undefined;
  #next: number;
  #buffered = 0;
  #highest = -1;
  #delivered = 0;
  #duplicates = 0;
  #missing = 0;
  #gaps = 0;
  #gapStart = -1;

  constructor(options: ReceiveBufferOptions<T>) {
    const cap = options.capacity;
    if (!Number.isInteger(cap) || cap < 1 || cap > 1 << 24) {
      throw new InvalidValueError('capacity', 'not an integer in [1, 2^24]');
    }
    const first = options.firstSequence ?? 0;
    if (!Number.isSafeInteger(first) || first < 0) throw new InvalidSequenceError(first);
    this.capacity = cap;
    this.#slots = new Array(cap).fill(undefined);
    this.#present = new Uint8Array(cap);
    this.#deliver = options.deliver;
    this.#onGap = options.onGap;
    this.#next = first;
  }

  /** The lowest sequence number not yet delivered or given up on. */
  get nextExpected(): number {
    return this.#next;
  }

  /** 0 when nothing waits, 1 when the reorder window is full. */
  get backpressure(): number {
    return this.#buffered / this.capacity;
  }

  /** Numbers missing below the highest one seen (gaps detected, not yet given up on). */
  get pendingGap(): number {
    return this.#highest < this.#next ? 0 : this.#highest - this.#next + 1 - this.#buffered;
  }

  get stats(): ReceiveBufferStats {
    return {
      delivered: this.#delivered,
      duplicates: this.#duplicates,
      missing: this.#missing,
      gaps: this.#gaps,
      buffered: this.#buffered,
    };
  }

  offer(sequence: number, item: T): OfferResult {
    if (!Number.isSafeInteger(sequence) || sequence < 0) throw new InvalidSequenceError(sequence);
    if (sequence < this.#next) {
      this.#duplicates++;
      return 'duplicate';
    }
    if (sequence >= this.#next + this.capacity) this.#advanceTo(sequence - this.capacity + 1);
    if (sequence > this.#highest) this.#highest = sequence;
    if (sequence === this.#next) {
      this.#emit(item, sequence);
      this.#next = sequence + 1;
      this.#drainReady();
      return 'delivered';
    }
    const slot = sequence % this.capacity;
    if (this.#present[slot] === 1) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#slots[slot] = item;
    this.#present[slot] = 1;
    this.#buffered++;
    return 'buffered';
  }

  /**
   * Stops waiting for every missing number below the highest one seen (e.g.
   * after a timeout): reports them as gaps and delivers everything buffered.
   */
  giveUp(): void {
    if (this.#highest >= this.#next) this.#advanceTo(this.#highest + 1);
  }

  /** Delivers buffered items and reports missing numbers in [next, target). */
  #advanceTo(target: number): void {
    const cap = this.capacity;
    const scanEnd = Math.min(target, this.#next + cap);
    for (let s = this.#next; s < scanEnd; s++) {
      const slot = s % cap;
      if (this.#present[slot] === 1) {
        this.#flushGap(s);
        const item = this.#slots[slot] as T;
        this.#slots[slot] = undefined;
        this.#present[slot] = 0;
        this.#buffered--;
        this.#emit(item, s);
      } else if (this.#gapStart < 0) this.#gapStart = s;
    }
    if (target > scanEnd && this.#gapStart < 0) this.#gapStart = scanEnd;
    this.#next = target;
    this.#flushGap(target);
    this.#drainReady();
  }

  #flushGap(upTo: number): void {
    if (this.#gapStart < 0) return;
    const from = this.#gapStart;
    this.#gapStart = -1;
    this.#missing += upTo - from;
    this.#gaps++;
    this.#onGap?.(from, upTo - 1);
  }

  #drainReady(): void {
    const cap = this.capacity;
    while (this.#buffered > 0) {
      const slot = this.#next % cap;
      if (this.#present[slot] !== 1) return;
      const item = this.#slots[slot] as T;
      this.#slots[slot] = undefined;
      this.#present[slot] = 0;
      this.#buffered--;
      this.#emit(item, this.#next);
      this.#next++;
    }
  }

  #emit(item: T, sequence: number): void {
    this.#delivered++;
    this.#deliver(item, sequence);
  }
}
