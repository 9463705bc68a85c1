/**
 * The worker as a cluster member: a `WorkerAgent` (@ripple/cluster) over
 * any `ControlBus` (NATS in production, `MemoryBus` in tests, a loopback
 * bus in the embedded cluster) driving the runtime through
 * `WorkerPartitionHost`. The agent registers, heartbeats every
 * `heartbeat_interval_sec` with the held partitions (epoch, offset, lag),
 * the worker state and its load, and acts on assign / revoke commands,
 * refusing stale epochs. `leave()` is the SIGTERM path: heartbeats say
 * draining, the coordinator revokes everything (each partition is
 * checkpointed and handed over), then the agent stops.
 */
import { randomUUID } from 'node:crypto';
import { type Logger as ClusterLogger, type ControlBus, WorkerAgent } from '@ripple/cluster';
import { WorkerPartitionHost } from './cluster-host.ts';
import type { WorkerConfig } from './config.ts';
import type { Logger } from './ports.ts';
import type { Worker } from './worker.ts';

export interface ClusterMemberOptions {
  readonly worker: Worker;
  readonly bus: ControlBus;
  readonly config: Pick<
    WorkerConfig,
    'cluster' | 'workerId' | 'inputTopic' | 'heartbeatIntervalSec' | 'shutdownGraceSec'
  > &
    Partial<Pick<WorkerConfig, 'checkpointMode'>>;
  readonly logger?: Logger;
  /** Distinguishes restarts of one worker id; default a random UUID per process. */
  readonly incarnation?: string;
  readonly rpcAddress?: string;
  readonly softwareVersion?: string;
}

export interface ClusterMember {
  readonly agent: WorkerAgent;
  readonly host: WorkerPartitionHost;
  /** Hand every partition over, then stop; resolves false when the grace period ran out first. */
  leave(): Promise<boolean>;
  /** Stop at once, handing nothing over (a crash, for tests). */
  close(): void;
}

export function joinCluster(o: ClusterMemberOptions): ClusterMember {
  const cfg = o.config;
  if (cfg.cluster === null) throw new Error('joinCluster: config.cluster is not set');
  const host = new WorkerPartitionHost({
    worker: o.worker,
    inputTopic: cfg.inputTopic,
    // cluster checkpoints: the new owner restores a committed checkpoint, behind any hand-over
    handoffExpectations: cfg.checkpointMode !== 'cluster',
  });
  const agent = new WorkerAgent({
    bus: o.bus,
    cluster: cfg.cluster,
    host,
    workerId: cfg.workerId,
    incarnation: o.incarnation ?? randomUUID(),
    heartbeatIntervalMs: cfg.heartbeatIntervalSec * 1000,
    shutdownGraceMs: cfg.shutdownGraceSec * 1000,
    ...(o.softwareVersion === undefined ? {} : { softwareVersion: o.softwareVersion }),
    ...(o.rpcAddress === undefined ? {} : { rpcAddress: o.rpcAddress }),
    ...(o.logger === undefined ? {} : { logger: clusterLogger(o.logger) }),
  });
  agent.start();
  return {
    agent,
    host,
    leave: () => agent.shutdown(),
    close: () => agent.close(),
  };
}

function clusterLogger(l: Logger): ClusterLogger {
  return {
    debug: () => {},
    info: (m, f) => l.info(m, { component: 'agent', ...f }),
    warn: (m, f) => l.warn(m, { component: 'agent', ...f }),
    error: (m, f) => l.error(m, { component: 'agent', ...f }),
  };
}
