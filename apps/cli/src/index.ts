/**
 * @ripple/cli: the `ripple` command as a library (for its tests): argument
 * parsing, the CSV trade source, the output formats and the VWAP runner. The
 * trade format itself lives in @ripple/trades.
 */

export { HELP, type InputSpec, parseVwapArgs, type VwapOptions } from './args.ts';
export {
  CHECKPOINTS_HELP,
  type CheckpointsCommand,
  type CheckpointsIo,
  type CheckpointsOptions,
  parseCheckpointsArgs,
  runCheckpoints,
} from './checkpoints.ts';
export { CliError, type CliErrorCode, InputError, OutputError, UsageError } from './errors.ts';
export { CsvTradeSource, LineSink } from './io.ts';
export { CSV_HEADER, formatDelta, type OutputFormat } from './output-format.ts';
export { type CliIo, runVwap, type VwapSummary } from './vwap.ts';
