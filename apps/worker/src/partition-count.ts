/**
 * `num_partitions` must equal the input topic's partition count: the
 * coordinator's ring assigns exactly `num_partitions` partitions, so a
 * smaller topic makes assigns fail forever and a bigger one leaves
 * partitions nobody reads. Checked once at start by a cluster member.
 */
import { invalid, workerSchema } from '@ripple/config';

export function checkPartitionCount(topic: string, numPartitions: number, actual: number): void {
  if (actual !== numPartitions)
    throw invalid(
      workerSchema.keys.numPartitions,
      `${numPartitions} but topic ${topic} has ${actual} partition(s) ` +
        `(set RIPPLE_NUM_PARTITIONS=${actual}, the coordinator's too)`,
    );
}
