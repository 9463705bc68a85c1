/**
 * @ripple/trades — the trade domain shared by the `ripple` CLI, the worker and
 * the benchmarks: the original's CSV format (`symbol,price,size,timestamp_ns,venue`,
 * a byte-level parser that reports bad lines with reasons instead of throwing, and
 * a formatter) and the original's deterministic synthetic stream. No I/O.
 */
export {
  SYNTHETIC_BASE_NS,
  symbolName,
  symbolNames,
  syntheticBatches,
  syntheticTrade,
  xorshift,
} from './synthetic.ts';
export {
  type BadLine,
  csvField,
  formatTrade,
  splitCsvLine,
  type Trade,
  TradeCsvParser,
} from './trade-csv.ts';
export { VWAP_OUTPUT_SCHEMA } from './vwap-output-schema.ts';
