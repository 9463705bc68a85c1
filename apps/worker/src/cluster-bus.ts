/**
 * The control bus a cluster member talks over, selected by config. Today:
 * NATS (`NATS_URL`, credentials from the environment, see
 * @ripple/cluster-nats). The member itself takes any `ControlBus`
 * (`joinCluster`), so an embedded cluster can pass an in-process bus.
 * NATS that is down at start is retried with backoff (the worker stays not
 * ready meanwhile); after the first connection the client reconnects forever.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ControlBus } from '@ripple/cluster';
import { HubClient, hubPath } from '@ripple/cluster-local';
import { NatsBus, natsAuthFromEnv } from '@ripple/cluster-nats';
import { Backoff, sleep } from './backoff.ts';
import type { WorkerConfig } from './config.ts';
import type { Logger } from './ports.ts';

export interface OpenBus {
  readonly bus: ControlBus;
  close(): Promise<void>;
}

export async function openControlBus(
  cfg: Pick<WorkerConfig, 'natsUrl' | 'workerId'>,
  log: Logger,
  signal: AbortSignal,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<OpenBus> {
  if (cfg.natsUrl === null) throw new Error('openControlBus: nats_url is not set');
  const socket = hubPath(cfg.natsUrl);
  if (socket !== null) {
    // the embedded cluster's hub (`pnpm start`, @ripple/cluster-local)
    log.info('control bus', { kind: 'hub', socket });
    const backoff = new Backoff(100, 2000);
    for (;;) {
      try {
        const hub = await HubClient.connect(socket, (error, subject) =>
          log.error('control message handler failed', { subject, error: String(error) }),
        );
        return { bus: hub.bus, close: async () => hub.close() };
      } catch (e) {
        const delayMs = backoff.next();
        log.warn('hub not reachable, retrying', { error: String(e), delayMs });
        await sleep(delayMs, signal);
        if (signal.aborted) throw e;
      }
    }
  }
  const auth = natsAuthFromEnv(env); // NatsAuthConfigError names the variable, never the secret
  log.info('control bus', { kind: 'nats', servers: cfg.natsUrl, auth: auth.describe });
  const backoff = new Backoff(200, 5000);
  let nc: NatsConnection | null = null;
  while (nc === null) {
    try {
      nc = await connect({
        servers: cfg.natsUrl.split(','),
        name: `ripple-worker-${cfg.workerId}`,
        timeout: 2000,
        maxReconnectAttempts: -1,
        ...auth.options,
      });
    } catch (e) {
      const delayMs = backoff.next();
      log.warn('NATS not reachable, retrying', { error: String(e), delayMs });
      await sleep(delayMs, signal);
      if (signal.aborted) throw e;
    }
  }
  const conn = nc;
  const bus = new NatsBus(conn, (error, subject) =>
    log.error('control message handler failed', { subject, error: String(error) }),
  );
  return {
    bus,
    close: async () => {
      await conn.drain().catch(() => {});
    },
  };
}
