/**
 * @ripple/cluster-local — the embedded cluster's transport: `HubServer`
 * (served by `pnpm start`) and `HubClient` (each app process: its
 * `ControlBus` and `KvStore`s). Apps select it with a `ripple-hub:<socket>`
 * URL where they would take `nats://...` (`hubPath`). The partitioned log
 * on local files (`appendToLog`, `PartitionReader`) stands in for Kafka.
 */
export {
  appendToLog,
  EndCounter,
  type LogAppend,
  type LogRecord,
  PartitionReader,
  partitionFile,
} from './file-log.ts';
export { HubClient, hubPath } from './hub-client.ts';
export { HubServer } from './hub-server.ts';
