/** Schemas of the VWAP job: its output values and its checkpoint leaves. */
import { defineSchema, type Schema } from '@ripple/protocol';

/** Schema of the values carried by output deltas (defined with the trade domain, read by consumers too). */
export { VWAP_OUTPUT_SCHEMA } from '@ripple/trades';

/**
 * Schema of checkpoint leaves. One leaf per symbol (its panes), plus one leaf
 * named `PARTITION_LEAF` holding the partition's watermark, counters and next
 * sequence number. Accumulators are [count, notional, volume].
 */
export const PARTITION_STATE_SCHEMA: Schema = defineSchema({
  name: 'ripple.vwap.partition-state',
  version: 1,
  fields: [
    { name: 'lo_ns', type: 'int64', optional: true },
    { name: 'hi_ns', type: 'int64', optional: true },
    { name: 'gc_at_ns', type: 'int64', optional: true },
    {
      name: 'panes',
      type: {
        list: {
          record: [
            { name: 'start_ns', type: 'int64' },
            { name: 'acc', type: { list: 'float64' } },
          ],
        },
      },
      optional: true,
    },
    { name: 'max_ts_ns', type: 'int64', optional: true },
    { name: 'watermark_ns', type: 'int64', optional: true },
    { name: 'counters', type: { list: 'int' }, optional: true },
    { name: 'last_sequence', type: 'int64', optional: true },
    { name: 'spec', type: 'string', optional: true },
  ],
});
