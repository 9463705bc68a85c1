import type { Logger } from '@ripple/cluster';
import { createLogger } from '@ripple/telemetry';

/**
 * The process logger behind the cluster's Logger port: pino JSON lines on
 * stderr with a component tag, LOG_LEVEL, trace and span ids inside spans
 * (@ripple/telemetry).
 */
export function jsonLogger(component: string, fields: Record<string, unknown>): Logger {
  return createLogger({ fields: { component, ...fields } });
}
