/**
 * Leader lease over a KvStore compare-and-set: exactly one holder acts at a
 * time (coordinator replicas; reusable by any singleton, e.g. the
 * checkpointer). The value is a `LeaderLease` control message.
 *
 * Clock-skew free: nobody compares its clock with another host's.
 * - The holder renews every `renewEveryMs` by CAS on its last revision, and
 *   considers itself leader only until `ttl * (1 - safety)` after the START
 *   of its last successful write. A lost CAS makes it a follower at once.
 * - A follower reads every `checkEveryMs`; it takes over (CAS on the revision
 *   it read, term + 1) only once the SAME revision has been seen unchanged
 *   for `ttlMs` on its own monotonic clock. Since it first sees a revision
 *   after the write that made it, its expiry is later than the holder's.
 * - Takeover after the holder dies: at most ttl + 2 * checkEvery.
 * A deposed holder that does not notice (paused process) is fenced by the
 * next CAS it attempts on any key the new holder has written.
 *
 * `LeaseMachine` is pure (times passed in, KV results fed back) so the
 * deterministic simulation drives the same code; `LeaseKeeper` runs it over
 * a real KvStore with timers.
 */
import { decodeControlMessage, encodeControlMessage, type LeaderLease } from '@ripple/protocol';
import { InvalidOptionError, KvConflictError } from './errors.ts';
import type { KvEntry, KvStore } from './kv.ts';
import { type Logger, silentLogger } from './logger.ts';

export interface LeaseOptions {
  /** this contender's id ([A-Za-z0-9_-]{1,64}); unique per process */
  readonly holderId: string;
  readonly key: string;
  readonly ttlMs: number;
  /** default ttl / 3 */
  readonly renewEveryMs?: number;
  /** default ttl / 10 */
  readonly checkEveryMs?: number;
  /** fraction of the ttl the holder gives up early; default 0.2 */
  readonly safety?: number;
}

export type LeaseOp =
  | { readonly kind: 'get'; readonly key: string }
  | {
      readonly kind: 'write';
      readonly key: string;
      readonly value: Uint8Array;
      readonly expectedRevision: number;
      readonly term: number;
    };

export type LeaseOpResult =
  | { readonly kind: 'entry'; readonly entry: KvEntry | null }
  | { readonly kind: 'written'; readonly revision: number }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'error'; readonly error: unknown };

export interface LeaseView {
  readonly leader: boolean;
  readonly term: number;
  /** the holder last seen in the store, if any */
  readonly holderId: string | null;
}

export class LeaseMachine {
  readonly holderId: string;
  readonly key: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly checkEveryMs: number;
  private readonly validForMs: number;
  private inFlight: { op: LeaseOp; startedAt: number } | null = null;
  private nextAt = 0;
  /** our own revision while we hold the lease */
  private myRevision = 0;
  private validUntil = 0;
  private term = 0;
  private seen: { revision: number; since: number; holderId: string | null; term: number } | null = null;
  private acquiredAtMs = 0;

  constructor(options: LeaseOptions) {
    const ttl = options.ttlMs;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new InvalidOptionError('ttlMs', `${ttl} is not positive`);
    const safety = options.safety ?? 0.2;
    if (!(safety > 0 && safety < 1)) throw new InvalidOptionError('safety', `${safety} is not in (0, 1)`);
    this.holderId = options.holderId;
    this.key = options.key;
    this.ttlMs = ttl;
    this.renewEveryMs = options.renewEveryMs ?? ttl / 3;
    this.checkEveryMs = options.checkEveryMs ?? ttl / 10;
    this.validForMs = ttl * (1 - safety);
    if (this.renewEveryMs >= this.validForMs) {
      throw new InvalidOptionError('renewEveryMs', `${this.renewEveryMs} must be below ttl*(1-safety)`);
    }
  }

  isLeader(now: number): boolean {
    return this.myRevision !== 0 && now < this.validUntil;
  }

  view(now: number): LeaseView {
    const leader = this.isLeader(now);
    return {
      leader,
      term: leader ? this.term : (this.seen?.term ?? 0),
      holderId: this.seen?.holderId ?? null,
    };
  }

  /** The KV operation to run now, if any (none while one is in flight). */
  poll(now: number): LeaseOp | null {
    if (this.inFlight !== null || now < this.nextAt) return null;
    let op: LeaseOp;
    if (this.isLeader(now)) {
      op = this.writeOp(this.myRevision, this.term, now);
    } else {
      if (this.myRevision !== 0) this.myRevision = 0; // validity ran out without a renewal
      const s = this.seen;
      if (s !== null && s.revision !== 0 && now - s.since >= this.ttlMs) {
        op = this.writeOp(s.revision, s.term + 1, now);
      } else if (s !== null && s.revision === 0) {
        op = this.writeOp(0, s.term + 1, now);
      } else {
        op = { kind: 'get', key: this.key };
      }
    }
    this.inFlight = { op, startedAt: now };
    return op;
  }

  private writeOp(expectedRevision: number, term: number, now: number): LeaseOp {
    if (expectedRevision !== this.myRevision || this.myRevision === 0) this.acquiredAtMs = now;
    const lease: LeaderLease = {
      type: 'leader_lease',
      v: 1,
      holderId: this.holderId,
      term,
      acquiredAtMs: Math.floor(this.acquiredAtMs),
      expiresAtMs: Math.floor(now + this.ttlMs),
    };
    return { kind: 'write', key: this.key, value: encodeControlMessage(lease), expectedRevision, term };
  }

  /** Feeds the result of the operation `poll` returned. */
  onResult(now: number, result: LeaseOpResult): void {
    const f = this.inFlight;
    if (f === null) return;
    this.inFlight = null;
    const op = f.op;
    if (op.kind === 'get') {
      this.nextAt = now + this.checkEveryMs;
      if (result.kind !== 'entry') return;
      this.observe(now, result.entry);
      return;
    }
    switch (result.kind) {
      case 'written':
        this.myRevision = result.revision;
        this.term = op.term;
        this.validUntil = f.startedAt + this.validForMs;
        this.seen = { revision: result.revision, since: now, holderId: this.holderId, term: op.term };
        this.nextAt = f.startedAt + this.renewEveryMs;
        return;
      case 'conflict':
        // someone else wrote: we are not (or no longer) the holder; re-read
        this.myRevision = 0;
        this.validUntil = 0;
        this.seen = null;
        this.nextAt = now;
        return;
      default:
        // store unreachable: retry soon; leadership runs out at validUntil by itself
        this.nextAt = now + this.checkEveryMs;
    }
  }

  private observe(now: number, entry: KvEntry | null): void {
    if (entry === null) {
      this.seen = { revision: 0, since: now, holderId: null, term: this.seen?.term ?? 0 };
      this.nextAt = now;
      return;
    }
    if (this.seen !== null && this.seen.revision === entry.revision) return;
    let holderId: string | null = null;
    let term = 0;
    try {
      const m = decodeControlMessage(entry.value);
      if (m.type === 'leader_lease') {
        holderId = m.holderId;
        term = m.term;
      }
    } catch {
      // an undecodable lease is treated like any other holder's: it expires
    }
    this.seen = { revision: entry.revision, since: now, holderId, term };
  }

  /** Forget our lease (graceful stop): the follower path will not renew it. */
  relinquish(): void {
    this.myRevision = 0;
    this.validUntil = 0;
  }
}

export interface LeaseKeeperOptions extends LeaseOptions {
  readonly kv: KvStore;
  readonly logger?: Logger;
  /** called on every change of leadership (true: acquired, false: lost) */
  readonly onChange?: (leader: boolean, term: number) => void;
  /** monotonic milliseconds; default performance.now */
  readonly now?: () => number;
}

/** Runs a LeaseMachine over a KvStore with real timers. */
export class LeaseKeeper {
  readonly machine: LeaseMachine;
  private readonly kv: KvStore;
  private readonly logger: Logger;
  private readonly onChange: (leader: boolean, term: number) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private wasLeader = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(options: LeaseKeeperOptions) {
    this.machine = new LeaseMachine(options);
    this.kv = options.kv;
    this.logger = options.logger ?? silentLogger;
    this.onChange = options.onChange ?? (() => {});
    this.now = options.now ?? (() => performance.now());
  }

  get leader(): boolean {
    return this.machine.isLeader(this.now());
  }

  view(): LeaseView {
    return this.machine.view(this.now());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops renewing; the lease then expires for the other contenders. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
    this.machine.relinquish();
    this.notify();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.busy = this.step();
    }, ms);
    this.timer.unref?.();
  }

  private async step(): Promise<void> {
    const op = this.machine.poll(this.now());
    if (op !== null) {
      let result: LeaseOpResult;
      try {
        if (op.kind === 'get') result = { kind: 'entry', entry: await this.kv.get(op.key) };
        else
          result = { kind: 'written', revision: await this.kv.update(op.key, op.value, op.expectedRevision) };
      } catch (error) {
        if (error instanceof KvConflictError) result = { kind: 'conflict' };
        else {
          this.logger.warn('lease store operation failed', { op: op.kind, error: String(error) });
          result = { kind: 'error', error };
        }
      }
      this.machine.onResult(this.now(), result);
    }
    this.notify();
    this.schedule(Math.min(this.machine.checkEveryMs, this.machine.renewEveryMs) / 2);
  }

  private notify(): void {
    const v = this.machine.view(this.now());
    if (v.leader !== this.wasLeader) {
      this.wasLeader = v.leader;
      this.logger.info(v.leader ? 'lease acquired' : 'lease lost', { term: v.term, key: this.machine.key });
      this.onChange(v.leader, v.term);
    }
  }
}
