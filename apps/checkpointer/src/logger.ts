import type { Logger } from './ports.ts';

/** JSON lines on stderr with a component tag: the process logger (library code gets it injected). */
export function jsonLogger(
  component: string,
  minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info',
): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const write = (level: keyof typeof order) => (msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    process.stderr.write(
      `${JSON.stringify(
        { ts: new Date().toISOString(), level, component, msg, ...fields },
        (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
      )}\n`,
    );
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
