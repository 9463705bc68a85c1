/**
 * The VWAP job: trades partitioned by symbol, a tumbling event-time window,
 * the volume-weighted average price per symbol and window. Output values are
 * `VWAP_OUTPUT_SCHEMA`; checkpoints are `PARTITION_STATE_SCHEMA` leaves; late
 * trades go to the side output as TradeBatch frames.
 */
import type { JobFactory } from '../../job.ts';
import { PARTITION_STATE_SCHEMA, VWAP_OUTPUT_SCHEMA } from './schemas.ts';
import { VwapPartition, type VwapPartitionOptions } from './vwap-partition.ts';

export const vwapJob: JobFactory = (config, { onStep, clock }) => {
  const options = (partition: number): VwapPartitionOptions => ({
    partition,
    windowNs: config.windowNs,
    allowedLatenessNs: config.allowedLatenessNs,
    outOfOrdernessNs: config.outOfOrdernessNs,
    maxKeys: config.maxKeysPerPartition,
    maxFutureNs: config.maxFutureNs,
    nowMs: () => clock.nowMs(),
    onStep,
  });
  return {
    name: 'vwap',
    outputSchema: VWAP_OUTPUT_SCHEMA,
    stateSchema: PARTITION_STATE_SCHEMA,
    create: (partition) => new VwapPartition(options(partition)),
    restore: (partition, snapshot, inputTopic) =>
      VwapPartition.fromSnapshot(options(partition), snapshot, inputTopic),
  };
};
