/**
 * Every metric the coordinator exports, declared once (`ripple_` prefix, see
 * docs/metrics.md), plus the process defaults. OpenMetrics, so the rebalance
 * duration carries the rebalance's trace id as exemplar.
 */
import type { CoordinatorObserver, CoordinatorRunner } from '@ripple/cluster';
import { traceIdExemplar } from '@ripple/telemetry';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  Registry,
} from 'prom-client';

export class CoordinatorMetrics {
  readonly registry = new Registry<OpenMetricsContentType>();
  readonly rebalances: Counter;
  readonly rebalanceDuration: Histogram;
  readonly rebalanceMoves: Counter;
  readonly members: Gauge;
  readonly unowned: Gauge;
  readonly movesInFlight: Gauge;
  readonly epoch: Gauge;
  readonly leader: Gauge;
  readonly memberChanges: Counter<'change'>;
  readonly rejected: Counter<'code'>;
  readonly stateWrites: Counter<'result'>;

  constructor(coordinatorId: string) {
    const r = this.registry;
    r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    r.setDefaultLabels({ coordinator: coordinatorId });
    collectDefaultMetrics({ register: r });
    const registers = [r];
    this.rebalances = new Counter({
      name: 'ripple_coordinator_rebalances_total',
      help: 'Rebalances decided',
      registers,
    });
    this.rebalanceDuration = new Histogram({
      name: 'ripple_coordinator_rebalance_duration_seconds',
      help: 'From the decision to the last move acked',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      enableExemplars: true,
      registers,
    });
    this.rebalanceMoves = new Counter({
      name: 'ripple_coordinator_partition_moves_total',
      help: 'Partition moves planned',
      registers,
    });
    this.members = new Gauge({
      name: 'ripple_coordinator_members',
      help: 'Workers heard from within the failure timeout',
      registers,
    });
    this.unowned = new Gauge({
      name: 'ripple_coordinator_unowned_partitions',
      help: 'Partitions without a confirmed owner',
      registers,
    });
    this.movesInFlight = new Gauge({
      name: 'ripple_coordinator_moves_in_flight',
      help: 'Partition moves not yet acked',
      registers,
    });
    this.epoch = new Gauge({
      name: 'ripple_coordinator_epoch',
      help: 'Highest assignment epoch allocated',
      registers,
    });
    this.leader = new Gauge({
      name: 'ripple_coordinator_leader',
      help: '1 while this replica holds the lease',
      registers,
    });
    this.memberChanges = new Counter({
      name: 'ripple_coordinator_member_changes_total',
      help: 'Workers joined, dead, left or restarted',
      labelNames: ['change'],
      registers,
    });
    this.rejected = new Counter({
      name: 'ripple_coordinator_control_rejected_total',
      help: 'Control messages refused, by code',
      labelNames: ['code'],
      registers,
    });
    this.stateWrites = new Counter({
      name: 'ripple_coordinator_state_writes_total',
      help: 'Writes of the durable cluster state, by result',
      labelNames: ['result'],
      registers,
    });
  }

  observer(): CoordinatorObserver {
    return {
      rebalanceStarted: (r) => {
        this.rebalances.inc();
        this.rebalanceMoves.inc(r.moves);
      },
      rebalanceFinished: (r, ms) =>
        this.rebalanceDuration.observe({ value: ms / 1000, exemplarLabels: traceIdExemplar(r.traceId) }),
      member: (_w, change) => this.memberChanges.inc({ change }),
      rejected: (code) => this.rejected.inc({ code }),
      leadership: (leader) => this.leader.set(leader ? 1 : 0),
      persisted: (ok) => this.stateWrites.inc({ result: ok ? 'ok' : 'failed' }),
    };
  }

  /** Gauges read from the runner at scrape time. */
  sample(runner: CoordinatorRunner): void {
    const m = runner.machine;
    this.members.set(m.memberCount);
    this.unowned.set(m.unowned().length);
    this.movesInFlight.set(m.movesInFlight);
    this.epoch.set(m.currentEpoch);
    this.leader.set(runner.isLeader ? 1 : 0);
  }
}
