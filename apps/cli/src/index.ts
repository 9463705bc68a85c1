/**
 * @ripple/cli: the `ripple` command as a library (for tests and benchmarks):
 * argument parsing, the trade CSV parser, the synthetic generator and the
 * VWAP runner.
 */

export {
  type BadLine,
  formatTrade,
  SYNTHETIC_BASE_NS,
  symbolName,
  symbolNames,
  syntheticBatches,
  syntheticTrade,
  type Trade,
  TradeCsvParser,
} from '@ripple/trades';
export { HELP, type InputSpec, parseVwapArgs, type VwapOptions } from './args.ts';
export { CliError, type CliErrorCode, InputError, OutputError, UsageError } from './errors.ts';
export { CsvTradeSource, LineSink } from './io.ts';
export { CSV_HEADER, formatDelta, type OutputFormat } from './output-format.ts';
export { type CliIo, runVwap, type VwapSummary } from './vwap.ts';
