/**
 * Errors of the `ripple` command. A `UsageError` (bad arguments) and an
 * `InputError` (unreadable input) end the process with a non-zero status;
 * a malformed input line is not an error here: it is a `BadLine`, reported,
 * counted and skipped.
 */

export type CliErrorCode =
  | 'CLI_USAGE'
  | 'CLI_INPUT_UNREADABLE'
  | 'CLI_OUTPUT_UNWRITABLE'
  | 'CLI_TIMESTAMP_UNIT'
  | 'CLI_SERVICE_UNAVAILABLE'
  | 'CLI_KEY_MOVING'
  | 'CLI_PARTITION_NOT_HELD';

import { RippleError } from '@ripple/core';

export abstract class CliError extends RippleError {
  abstract override readonly code: CliErrorCode;
  /** Process exit status for this error. */
  abstract readonly exitCode: number;
  override name = 'CliError';
}

/** Unusable arguments; `option` names the offending option. Exit status 2. */
export class UsageError extends CliError {
  readonly code = 'CLI_USAGE';
  readonly retryable = false;
  readonly exitCode = 2;
  readonly option: string | null;
  constructor(message: string, option: string | null = null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UsageError';
    this.option = option;
  }
}

/** The input file or stdin cannot be read. Exit status 1. */
export class InputError extends CliError {
  readonly code = 'CLI_INPUT_UNREADABLE';
  readonly retryable = true;
  readonly exitCode = 1;
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super(`cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'InputError';
    this.path = path;
  }
}

/** The output file cannot be written. Exit status 1. */
export class OutputError extends CliError {
  readonly code = 'CLI_OUTPUT_UNWRITABLE';
  readonly retryable = true;
  readonly exitCode = 1;
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super(`cannot write ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'OutputError';
    this.path = path;
  }
}

/**
 * CSV timestamps look like milliseconds or microseconds since the epoch while
 * nanoseconds were expected. Exit status 2: rerun with `--timestamp-unit`.
 */
export class TimestampUnitError extends CliError {
  readonly code = 'CLI_TIMESTAMP_UNIT';
  readonly retryable = false;
  readonly exitCode = 2;
  readonly path: string;
  readonly line: number;
  constructor(path: string, line: number, ts: bigint, suspect: 'ms' | 'us') {
    const asNs = new Date(Number(ts / 1_000_000n)).toISOString();
    const asUnit = new Date(Number(suspect === 'ms' ? ts : ts / 1000n)).toISOString();
    super(
      `${path} line ${line}: timestamp ${ts} looks like ${suspect === 'ms' ? 'milliseconds' : 'microseconds'} since the epoch (${asUnit}); read as nanoseconds it is ${asNs}. Pass --timestamp-unit ${suspect} (or --timestamp-unit ns to take it as nanoseconds)`,
    );
    this.name = 'TimestampUnitError';
    this.path = path;
    this.line = line;
  }
}

/** A service the command talks to (Kafka, NATS, the coordinator) cannot be reached. Exit status 1. */
export class ServiceUnavailableError extends CliError {
  readonly code = 'CLI_SERVICE_UNAVAILABLE';
  readonly retryable = true;
  readonly exitCode = 1;
  readonly service: string;
  constructor(service: string, detail: string, cause?: unknown) {
    super(`${service}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'ServiceUnavailableError';
    this.service = service;
  }
}

/**
 * `ripple query`: the key's partition has no live owner to answer — it is
 * being restored / replayed on its new owner, or has none — for as long as
 * `--wait` allowed. Exit status 3; asking again later may succeed.
 */
export class KeyMovingError extends CliError {
  readonly code = 'CLI_KEY_MOVING';
  readonly retryable = true;
  readonly exitCode = 3;
  readonly key: string;
  readonly partition: number;
  constructor(key: string, partition: number, detail: string) {
    super(`${key} is moving: ${detail}; ask again in a moment`);
    this.name = 'KeyMovingError';
    this.key = key;
    this.partition = partition;
  }
}

/** `ripple graph`: the worker holds no such partition (it moved), or nobody holds any. Exit status 3. */
export class PartitionNotHeldError extends CliError {
  readonly code = 'CLI_PARTITION_NOT_HELD';
  readonly retryable = true;
  readonly exitCode = 3;
  readonly workerId: string | null;
  readonly partition: number | null;
  constructor(workerId: string | null, partition: number | null) {
    super(
      workerId === null
        ? partition === null
          ? 'no worker holds a partition yet'
          : `partition ${partition} has no owner right now (it is moving)`
        : partition === null
          ? `${workerId} holds no partition`
          : `${workerId} does not hold partition ${partition} (it moved, or never had it)`,
    );
    this.name = 'PartitionNotHeldError';
    this.workerId = workerId;
    this.partition = partition;
  }
}
