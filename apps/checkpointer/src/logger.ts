import { createLogger } from '@ripple/telemetry';
import type { Logger } from './ports.ts';

/**
 * The process logger behind the checkpointer's Logger port (library code gets
 * it injected): pino JSON lines on stderr with a component tag, level from
 * LOG_LEVEL, trace and span ids inside spans (@ripple/telemetry).
 */
export function jsonLogger(component: string): Logger {
  return createLogger({ fields: { component } });
}
