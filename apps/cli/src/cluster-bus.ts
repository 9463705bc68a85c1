/**
 * The control bus a CLI command asks a running cluster over: NATS
 * (`nats://...`, credentials from the RIPPLE_NATS_* variables as the apps
 * read them) or the embedded cluster's hub (`ripple-hub:SOCKET`, the one
 * `pnpm start` serves). Request/reply only; a connection that fails is a
 * `ServiceUnavailableError` naming the endpoint.
 */
import { connect } from '@nats-io/transport-node';
import { HubClient, hubPath } from '@ripple/cluster-local';
import { natsAuthFromEnv } from '@ripple/cluster-nats';
import { ServiceUnavailableError } from './errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface CliBus {
  /** The reply's bytes; rejects (any error) on timeout or when nobody answers. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function openCliBus(url: string, env: Env, name: string, timeoutMs: number): Promise<CliBus> {
  const socket = hubPath(url);
  if (socket !== null) {
    let hub: HubClient;
    try {
      hub = await HubClient.connect(socket);
    } catch (e) {
      throw new ServiceUnavailableError(`hub ${socket}`, (e as Error).message, e);
    }
    return {
      request: async (subject, data, ms) => (await hub.bus.request(subject, data, { timeoutMs: ms })).data,
      close: async () => hub.close(),
    };
  }
  const auth = natsAuthFromEnv(env);
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({
      servers: url.split(','),
      name,
      timeout: Math.min(timeoutMs, 3000),
      maxReconnectAttempts: 0,
      ...auth.options,
    });
  } catch (e) {
    throw new ServiceUnavailableError(`NATS ${url}`, (e as Error).message, e);
  }
  return {
    request: async (subject, data, ms) => (await nc.request(subject, data, { timeout: ms })).data,
    close: async () => {
      await nc.close().catch(() => {});
    },
  };
}
