/**
 * @ripple/cluster-local — the embedded cluster's transport: `HubServer`
 * (served by `pnpm start`) and `HubClient` (each app process: its
 * `ControlBus` and `KvStore`s). Apps select it with a `ripple-hub:<socket>`
 * URL where they would take `nats://...` (`hubPath`).
 */
export { HubClient, hubPath } from './hub-client.ts';
export { HubServer } from './hub-server.ts';
