import type { Logger } from '@ripple/cluster';

/** Structured JSON lines on stderr with a component tag. */
export function jsonLogger(component: string, fields: Record<string, unknown>): Logger {
  const write = (level: string, msg: string, extra?: Record<string, unknown>) => {
    process.stderr.write(
      `${JSON.stringify(
        { ts: new Date().toISOString(), level, component, ...fields, msg, ...extra },
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
      )}\n`,
    );
  };
  return {
    debug: () => {},
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
