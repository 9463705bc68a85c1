// `node --conditions=@ripple/source scripts/demo-worker.ts <worker-id>`: a
// stand-in worker for trying the coordinator before the real worker embeds
// its agent: the production WorkerAgent (packages/cluster) over NATS with an
// in-memory partition host (no Kafka, no state). Same environment as the
// coordinator: NATS_URL, RIPPLE_CLUSTER, RIPPLE_HEARTBEAT_INTERVAL_SEC, NATS
// credentials (RIPPLE_NATS_*). SIGTERM hands its partitions over and exits;
// SIGKILL is a crash.
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { MemoryPartitionHost, MemorySnapshotStore, WorkerAgent } from '@ripple/cluster';
import { NatsBus, natsAuthFromEnv } from '@ripple/cluster-nats';

const workerId = process.argv[2];
if (workerId === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(workerId)) {
  process.stderr.write('usage: demo-worker.ts <worker-id>\n');
  process.exit(2);
}
const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(
    `${JSON.stringify({ ts: new Date().toISOString(), component: 'demo-worker', workerId, msg, ...fields })}\n`,
  );
const nc = await connect({
  servers: (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(','),
  name: `ripple-demo-worker-${workerId}`,
  ...natsAuthFromEnv(process.env).options,
});
const host = new MemoryPartitionHost(new MemorySnapshotStore(), { strict: false });
const agent = new WorkerAgent({
  bus: new NatsBus(nc),
  cluster: process.env.RIPPLE_CLUSTER ?? 'ripple',
  host,
  workerId,
  incarnation: randomBytes(4).toString('hex'),
  heartbeatIntervalMs: Number(process.env.RIPPLE_HEARTBEAT_INTERVAL_SEC ?? '5') * 1000,
  logger: { debug: () => {}, info: log, warn: log, error: log },
});
agent.start();
const timer = setInterval(() => host.advance(100), 1000);
log('started');
process.once('SIGTERM', async () => {
  const graceful = await agent.shutdown();
  clearInterval(timer);
  log('stopped', { graceful });
  await nc.drain();
  process.exit(0);
});
