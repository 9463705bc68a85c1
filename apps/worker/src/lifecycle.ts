import type { WorkerState } from '@ripple/protocol';
import { LifecycleError } from './errors.ts';

/**
 * Worker lifecycle (the states are protocol's `WorkerState`: the same values travel in heartbeats):
 *
 *   Starting -> Recovering -> Active -> Draining -> Stopping -> Stopped
 *   Starting -> Active            (no checkpoint to restore)
 *   Active -> Recovering          (partitions assigned that have checkpoints)
 *   any state but Stopped -> Failed
 *
 * Invalid transitions throw `LifecycleError`.
 */
const ALLOWED: Record<WorkerState, readonly WorkerState[]> = {
  starting: ['recovering', 'active', 'stopping', 'failed'],
  recovering: ['active', 'stopping', 'failed'],
  active: ['recovering', 'draining', 'failed'],
  draining: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: ['stopped'],
};

export class Lifecycle {
  private current: WorkerState = 'starting';
  private readonly listeners: Array<(from: WorkerState, to: WorkerState) => void> = [];

  get state(): WorkerState {
    return this.current;
  }

  /** Ready to take traffic: only when Active. */
  get ready(): boolean {
    return this.current === 'active';
  }

  /** Alive: anything but Failed (Stopped processes exit). */
  get healthy(): boolean {
    return this.current !== 'failed';
  }

  canTransition(to: WorkerState): boolean {
    return ALLOWED[this.current].includes(to);
  }

  transition(to: WorkerState): void {
    if (!this.canTransition(to)) throw new LifecycleError(this.current, to);
    const from = this.current;
    this.current = to;
    for (const l of this.listeners) l(from, to);
  }

  onTransition(listener: (from: WorkerState, to: WorkerState) => void): void {
    this.listeners.push(listener);
  }
}
