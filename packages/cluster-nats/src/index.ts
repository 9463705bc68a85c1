/**
 * @ripple/cluster-nats — @ripple/cluster's ports over NATS:
 * - `NatsBus`: ControlBus over core NATS (headers carry traceparent);
 * - `NatsKv`: KvStore over a JetStream KV bucket (CAS on the revision);
 * - `natsAuthFromEnv`: user/password, token, nkey or creds from the
 *   environment or mounted files, never logged.
 */
export { type NatsAuth, NatsAuthConfigError, type NatsAuthMethod, natsAuthFromEnv } from './auth.ts';
export { NatsBus } from './nats-bus.ts';
export { NatsKv } from './nats-kv.ts';
