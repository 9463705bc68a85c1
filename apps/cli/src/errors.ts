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
  | 'CLI_SERVICE_UNAVAILABLE';

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
