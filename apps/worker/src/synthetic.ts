import { TradeBatchEncoder } from '@ripple/protocol';
import { syntheticBatches } from '@ripple/trades';
import { MemoryTopic } from './adapters/memory.ts';

/**
 * Embedded mode input: the original's deterministic synthetic stream (100
 * symbols, 1 ms apart) as TradeBatch frames, each symbol on a fixed partition.
 */
export function syntheticTopic(name: string, partitions: number, events: number): MemoryTopic {
  const topic = new MemoryTopic(name, partitions);
  for (const batch of syntheticBatches(0, events, { batchSize: 1000 })) {
    const perPartition = new Map<number, TradeBatchEncoder>();
    for (const t of batch) {
      const p = Number(t.symbol.slice(3)) % partitions;
      let enc = perPartition.get(p);
      if (enc === undefined) {
        enc = new TradeBatchEncoder();
        perPartition.set(p, enc);
      }
      enc.add(t);
    }
    for (const [p, enc] of perPartition) topic.append(p, enc.finish({ sequence: 0 }));
  }
  return topic;
}
