/**
 * Errors of the `ripple` command. A `UsageError` (bad arguments) and an
 * `InputError` (unreadable input) end the process with a non-zero status;
 * a malformed input line is not an error here: it is a `BadLine`, reported,
 * counted and skipped.
 */

export type CliErrorCode = 'CLI_USAGE' | 'CLI_INPUT_UNREADABLE' | 'CLI_OUTPUT_UNWRITABLE';

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
