import { LifecycleError } from './errors.ts';

/**
 * Worker lifecycle:
 *
 *   Starting -> Recovering -> Active -> Draining -> Stopping -> Stopped
 *   Starting -> Active            (no checkpoint to restore)
 *   Active -> Recovering          (partitions assigned that have checkpoints)
 *   any state but Stopped -> Failed
 *
 * Invalid transitions throw `LifecycleError`.
 */
export type WorkerState =
  | 'Starting'
  | 'Recovering'
  | 'Active'
  | 'Draining'
  | 'Stopping'
  | 'Stopped'
  | 'Failed';

export const WORKER_STATES: readonly WorkerState[] = [
  'Starting',
  'Recovering',
  'Active',
  'Draining',
  'Stopping',
  'Stopped',
  'Failed',
];

const ALLOWED: Record<WorkerState, readonly WorkerState[]> = {
  Starting: ['Recovering', 'Active', 'Stopping', 'Failed'],
  Recovering: ['Active', 'Stopping', 'Failed'],
  Active: ['Recovering', 'Draining', 'Failed'],
  Draining: ['Stopping', 'Failed'],
  Stopping: ['Stopped', 'Failed'],
  Stopped: [],
  Failed: ['Stopped'],
};

export class Lifecycle {
  private current: WorkerState = 'Starting';
  private readonly listeners: Array<(from: WorkerState, to: WorkerState) => void> = [];

  get state(): WorkerState {
    return this.current;
  }

  /** Ready to take traffic: only when Active. */
  get ready(): boolean {
    return this.current === 'Active';
  }

  /** Alive: anything but Failed (Stopped processes exit). */
  get healthy(): boolean {
    return this.current !== 'Failed';
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
