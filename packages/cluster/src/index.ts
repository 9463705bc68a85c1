/**
 * @ripple/cluster — the cluster's control logic, without network I/O.
 *
 * - `HashRing`: consistent hashing with virtual nodes (partition -> worker).
 * - `CoordinatorMachine`, `WorkerAgentMachine`: the coordinator and the
 *   worker side of membership and the rebalance protocol as pure state
 *   machines (time passed in, effects out). The deterministic simulation
 *   (test/sim, `pnpm sim`) drives these same classes.
 * - `LeaseMachine` / `LeaseKeeper`: a leader lease over a KvStore CAS
 *   (coordinator replicas; reusable by any singleton).
 * - runners with timers: `CoordinatorRunner` (apps/coordinator) and
 *   `WorkerAgent` (the worker embeds it over its `PartitionHost`).
 * - ports with in-memory adapters: `ControlBus` (`MemoryBus`), `KvStore`
 *   (`MemoryKv`), `PartitionHost` (`MemoryPartitionHost`); NATS and JetStream
 *   KV adapters are in @ripple/cluster-nats.
 */
export { WorkerAgent, type WorkerAgentOptions as WorkerAgentRunnerOptions } from './agent-runner.ts';
export {
  type BusHeaders,
  type BusMessage,
  type BusSubscription,
  type ControlBus,
  subjectMatches,
} from './control-bus.ts';
export {
  type CoordinatorEffect,
  CoordinatorMachine,
  type CoordinatorOptions,
} from './coordinator-machine.ts';
export {
  type CoordinatorObserver,
  CoordinatorRunner,
  type CoordinatorRunnerOptions,
} from './coordinator-runner.ts';
export { type CoordinatorStateDoc, decodeStateDoc, encodeStateDoc } from './coordinator-state.ts';
export {
  BusUnavailableError,
  ClusterError,
  type ClusterErrorCode,
  DuplicateWorkerError,
  HostFailedError,
  InvalidOptionError,
  InvalidRingError,
  KvConflictError,
  KvCorruptError,
  KvUnavailableError,
} from './errors.ts';
export { hash32 } from './hash.ts';
export type { KvEntry, KvStore } from './kv.ts';
export {
  LeaseKeeper,
  type LeaseKeeperOptions,
  LeaseMachine,
  type LeaseOp,
  type LeaseOpResult,
  type LeaseOptions,
  type LeaseView,
} from './lease.ts';
export { LocalCluster, type LocalClusterEnv } from './local-cluster.ts';
export { type Logger, silentLogger } from './logger.ts';
export { MemoryBus } from './memory-bus.ts';
export { MemoryKv } from './memory-kv.ts';
export { MemoryPartitionHost, MemorySnapshotStore } from './memory-partition-host.ts';
export type { HostContext, HostPartitionStatus, PartitionHost } from './partition-host.ts';
export { DEFAULT_VNODES, HashRing, ringBalanceBound } from './ring.ts';
export { contextFromHeaders } from './tracing.ts';
export { type AgentEffect, WorkerAgentMachine, type WorkerAgentOptions } from './worker-agent-machine.ts';
