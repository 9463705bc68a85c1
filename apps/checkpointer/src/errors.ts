/**
 * Errors of the checkpointer. One class per failure mode with a stable
 * `code` and `retryable`; loops branch on those, never on message text.
 * All are `RippleError`s (@ripple/core), like every package's.
 */
import { RippleError } from '@ripple/core';

export type CheckpointerErrorCode = 'CKPTR_ABORTED';

export abstract class CheckpointerError extends RippleError {
  abstract override readonly code: CheckpointerErrorCode;
  override name = 'CheckpointerError';
}

/** Why a checkpoint was not committed (metric label values). */
export const ABORT_REASONS = [
  'ack_timeout',
  'epoch_changed',
  'verify_failed',
  'store_unavailable',
  'not_leader',
  'stopped',
] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

/** A checkpoint that will never be committed; the previous committed one stays latest. */
export class CheckpointAbortedError extends CheckpointerError {
  readonly code = 'CKPTR_ABORTED';
  readonly retryable = false;
  readonly checkpointId: string;
  readonly reason: AbortReason;
  constructor(checkpointId: string, reason: AbortReason, detail: string, options?: ErrorOptions) {
    super(`checkpoint ${checkpointId} aborted (${reason}): ${detail}`, options);
    this.name = 'CheckpointAbortedError';
    this.checkpointId = checkpointId;
    this.reason = reason;
  }
}
