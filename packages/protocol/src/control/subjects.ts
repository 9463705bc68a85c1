/**
 * The NATS subject hierarchy, defined here once. Every subject starts with
 * `ripple.<cluster>.`; tokens (cluster, worker ids) are validated so a
 * hostile or mistyped id can never inject a wildcard (`*`, `>`) or a level.
 *
 * ```
 * ripple.<c>.worker.register                  pub            worker -> coordinator   Register
 * ripple.<c>.worker.<w>.heartbeat             pub            worker -> coordinator   Heartbeat
 * ripple.<c>.assignment                       pub            coordinator -> all      Assignment
 * ripple.<c>.rebalance.<w>.revoke             pub            coordinator -> old owner Revoke
 * ripple.<c>.rebalance.<w>.assign             pub            coordinator -> new owner Assign
 * ripple.<c>.worker.<w>.ack                   pub            worker -> coordinator   RevokeAck / AssignAck
 * ripple.<c>.checkpoint.trigger               pub            checkpointer -> workers CheckpointTrigger
 * ripple.<c>.checkpoint.ack                   pub            worker -> checkpointer  CheckpointAck
 * ripple.<c>.checkpoint.lookup                request/reply  worker -> checkpointer  RestoreRequest / RestorePlanReply
 * ripple.<c>.leader                           pub            coordinator leader      LeaderLease
 * ripple.<c>.status                           request/reply  anyone -> leader        StatusRequest/Response
 * ripple.<c>.query.<w>                         request/reply  anyone -> worker w      KeyQuery/KeyQueryReply, GraphQuery/GraphReply
 * ```
 * JetStream KV: bucket `ripple_<c>_leases`, key `coordinator` holds the
 * LeaderLease; bucket `ripple_<c>_state`, key `coordinator` the
 * coordinator's durable state (epoch counter and partition table).
 *
 * Rebalance steps are published, and acknowledged on the worker's own ack
 * subject, rather than request/reply: a revoke can outlast any request
 * timeout (drain + snapshot), the coordinator re-sends until acked and the
 * worker re-acks duplicates. Everything a worker publishes is under
 * `ripple.<c>.worker.<w>.`, so a subject permission can pin a worker's
 * credentials to its own id (the receiver also checks that the subject's
 * worker token equals the message's workerId).
 */
import { InvalidSubjectTokenError } from '../errors.ts';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function checkToken(what: string, token: string): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) throw new InvalidSubjectTokenError(what, token);
  return token;
}

export interface ClusterSubjects {
  readonly prefix: string;
  readonly register: string;
  heartbeat(workerId: string): string;
  /** subscription matching every worker's heartbeat */
  readonly allHeartbeats: string;
  readonly assignment: string;
  revoke(workerId: string): string;
  assign(workerId: string): string;
  /** where worker w publishes its RevokeAck / AssignAck */
  ack(workerId: string): string;
  /** subscription matching every worker's acks */
  readonly allAcks: string;
  /** subscription matching every rebalance step addressed to one worker */
  rebalanceFor(workerId: string): string;
  readonly checkpointTrigger: string;
  readonly checkpointAck: string;
  /** restore lookups (checkpoint/restore-messages.ts) */
  readonly checkpointLookup: string;
  readonly leader: string;
  readonly status: string;
  /** queries of worker w's state (`ripple query`, `ripple graph`), request/reply */
  query(workerId: string): string;
  /** subscription matching everything of the cluster */
  readonly all: string;
  readonly leaseBucket: string;
  readonly leaseKey: string;
  readonly stateBucket: string;
  readonly stateKey: string;
}

/** Subjects of one cluster; throws InvalidSubjectTokenError for a bad cluster name. */
export function clusterSubjects(cluster: string): ClusterSubjects {
  const p = `ripple.${checkToken('cluster', cluster)}`;
  return Object.freeze({
    prefix: p,
    register: `${p}.worker.register`,
    heartbeat: (w: string) => `${p}.worker.${checkToken('workerId', w)}.heartbeat`,
    allHeartbeats: `${p}.worker.*.heartbeat`,
    assignment: `${p}.assignment`,
    revoke: (w: string) => `${p}.rebalance.${checkToken('workerId', w)}.revoke`,
    assign: (w: string) => `${p}.rebalance.${checkToken('workerId', w)}.assign`,
    ack: (w: string) => `${p}.worker.${checkToken('workerId', w)}.ack`,
    allAcks: `${p}.worker.*.ack`,
    rebalanceFor: (w: string) => `${p}.rebalance.${checkToken('workerId', w)}.*`,
    checkpointTrigger: `${p}.checkpoint.trigger`,
    checkpointAck: `${p}.checkpoint.ack`,
    checkpointLookup: `${p}.checkpoint.lookup`,
    leader: `${p}.leader`,
    status: `${p}.status`,
    query: (w: string) => `${p}.query.${checkToken('workerId', w)}`,
    all: `${p}.>`,
    leaseBucket: `ripple_${cluster}_leases`,
    leaseKey: 'coordinator',
    stateBucket: `ripple_${cluster}_state`,
    stateKey: 'coordinator',
  });
}

export type ParsedSubject =
  | {
      readonly kind:
        | 'register'
        | 'assignment'
        | 'checkpoint_trigger'
        | 'checkpoint_ack'
        | 'checkpoint_lookup'
        | 'leader'
        | 'status';
      readonly cluster: string;
    }
  | {
      readonly kind: 'heartbeat' | 'ack' | 'revoke' | 'assign' | 'query';
      readonly cluster: string;
      readonly workerId: string;
    };

/** Parses a concrete subject of the hierarchy; undefined when it is not one. */
export function parseSubject(subject: string): ParsedSubject | undefined {
  const t = subject.split('.');
  if (t[0] !== 'ripple' || t.length < 3 || t.length > 5 || !t.slice(1).every((x) => TOKEN.test(x)))
    return undefined;
  const cluster = t[1]!;
  const rest = t.slice(2).join('.');
  switch (rest) {
    case 'worker.register':
      return { kind: 'register', cluster };
    case 'assignment':
      return { kind: 'assignment', cluster };
    case 'checkpoint.trigger':
      return { kind: 'checkpoint_trigger', cluster };
    case 'checkpoint.ack':
      return { kind: 'checkpoint_ack', cluster };
    case 'checkpoint.lookup':
      return { kind: 'checkpoint_lookup', cluster };
    case 'leader':
      return { kind: 'leader', cluster };
    case 'status':
      return { kind: 'status', cluster };
  }
  if (t.length === 5 && t[2] === 'worker' && (t[4] === 'heartbeat' || t[4] === 'ack'))
    return { kind: t[4], cluster, workerId: t[3]! };
  if (t.length === 4 && t[2] === 'query') return { kind: 'query', cluster, workerId: t[3]! };
  if (t.length === 5 && t[2] === 'rebalance' && (t[4] === 'revoke' || t[4] === 'assign')) {
    return { kind: t[4], cluster, workerId: t[3]! };
  }
  return undefined;
}
