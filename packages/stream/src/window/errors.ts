/**
 * Typed errors of the stream layer (windows, topology). Stable `code`,
 * `retryable` flag; callers branch on those, never on message text.
 */

export type StreamErrorCode = 'STREAM_INVALID_OPTION' | 'STREAM_SNAPSHOT_INVALID' | 'STREAM_CLOSED';

import { RippleError } from '@ripple/core';

export abstract class StreamError extends RippleError {
  abstract override readonly code: StreamErrorCode;
  override name = 'StreamError';
}

/** A window, watermark or topology option is out of range; `option` names it. */
export class InvalidOptionError extends StreamError {
  readonly code = 'STREAM_INVALID_OPTION';
  readonly retryable = false;
  readonly option: string;
  readonly reason: string;
  constructor(option: string, reason: string) {
    super(`invalid option ${option}: ${reason}`);
    this.name = 'InvalidOptionError';
    this.option = option;
    this.reason = reason;
  }
}

/** A window-operator snapshot has the wrong format or was taken with other window options. */
export class WindowSnapshotError extends StreamError {
  readonly code = 'STREAM_SNAPSHOT_INVALID';
  readonly retryable = false;
  constructor(reason: string, cause?: unknown) {
    super(`window snapshot: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'WindowSnapshotError';
  }
}

/** Events were pushed after `end()` closed the stream. */
export class StreamClosedError extends StreamError {
  readonly code = 'STREAM_CLOSED';
  readonly retryable = false;
  constructor(op: string) {
    super(`${op}: the stream has ended`);
    this.name = 'StreamClosedError';
  }
}
