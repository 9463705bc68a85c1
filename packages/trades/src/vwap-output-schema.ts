/**
 * Schema of the values the VWAP job writes to its output topic (one per
 * symbol and window). It lives with the trade domain, not in the worker, so
 * that readers of the output (the `ripple tail` command, consumers) decode it
 * without importing an app. Its fingerprint is in every output frame: a
 * change here is a version bump (see packages/protocol/src/schema.ts).
 */
import { defineSchema, type Schema } from '@ripple/protocol';

export const VWAP_OUTPUT_SCHEMA: Schema = defineSchema({
  name: 'ripple.vwap.window',
  version: 1,
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'window_start_ns', type: 'timestamp_ns' },
    { name: 'window_end_ns', type: 'timestamp_ns' },
    { name: 'vwap', type: 'float64' },
    { name: 'volume', type: 'float64' },
    { name: 'count', type: 'int' },
  ],
});
