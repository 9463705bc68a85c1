/**
 * The input topic's partition count, asked of Kafka once at start-up (a
 * cluster member checks `num_partitions` against it). A failure is a
 * retryable `SourceError` unless the topic does not exist.
 */
import { Admin } from '@platformatic/kafka';
import { SourceError } from '../errors.ts';
import { kafkaRetryable } from './kafka.ts';

export async function kafkaPartitionCount(
  brokers: readonly string[],
  topic: string,
  clientId: string,
): Promise<number> {
  const admin = new Admin({ clientId, bootstrapBrokers: [...brokers], retries: 1, retryDelay: 250 });
  try {
    const m = await admin.metadata({ topics: [topic] });
    const t = m.topics.get(topic);
    if (t === undefined) throw new SourceError(`topic ${topic} not found`, false);
    return t.partitions.length;
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(`metadata for ${topic}: ${(e as Error).message}`, kafkaRetryable(e), e);
  } finally {
    await admin.close().catch(() => {});
  }
}
