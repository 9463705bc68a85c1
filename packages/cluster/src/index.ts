/**
 * @ripple/cluster — the cluster's control logic, without I/O.
 *
 * - `HashRing`: consistent hashing with virtual nodes (partition -> worker).
 * - `LeaseMachine` / `LeaseKeeper`: a leader lease over a KvStore CAS.
 * - ports: `KvStore` (durable state; `MemoryKv` here, JetStream KV in
 *   @ripple/cluster-nats).
 *
 * Everything takes its clock and randomness from the caller, so the
 * deterministic simulation runs the same code as production.
 */
export {
  type CoordinatorEffect,
  CoordinatorMachine,
  type CoordinatorOptions,
} from './coordinator-machine.ts';
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
export { type Logger, silentLogger } from './logger.ts';
export { MemoryKv } from './memory-kv.ts';
export { DEFAULT_VNODES, HashRing, ringBalanceBound } from './ring.ts';
export { type AgentEffect, WorkerAgentMachine, type WorkerAgentOptions } from './worker-agent-machine.ts';
