/**
 * @ripple/coordinator — the coordinator process. Its entry exports the
 * composition (for tests and embedding); the process is `src/main.ts`.
 */

export { ConfigError } from '@ripple/config';
export { type CoordinatorApp, startCoordinatorApp } from './app.ts';
export { type CoordinatorConfig, loadConfig, readConfig } from './config.ts';
export {
  type CheckpointView,
  DashboardFeed,
  type DashboardSnapshot,
  type WorkerSeries,
} from './dashboard/feed.ts';
export { OutputTopicReader, type OutputTopicReaderOptions } from './dashboard/output-topic-reader.ts';
export { type DashboardOptions, dashboardHandler } from './dashboard/server.ts';
export { VwapBoard, type VwapRow, type VwapView } from './dashboard/vwap-board.ts';
export { serve } from './http.ts';
