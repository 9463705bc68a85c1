/**
 * `--print-config`: the effective config of an app, one key a line with its
 * value, source (default, env, file) and variable; secrets masked. Keys of
 * the other apps are not shown (the app ignores them).
 */
import type { AnyKey, Keys } from './config-key.ts';
import type { LoadedConfig } from './load.ts';

export const MASK = '********';

export interface PrintedKey {
  readonly key: string;
  readonly variable: string;
  readonly value: string | null;
  readonly source: string;
}

export function printableConfig<K extends Keys>(loaded: LoadedConfig<K>): PrintedKey[] {
  const values = loaded.values as Record<string, unknown>;
  const sources = loaded.sources as Record<string, string>;
  return (Object.entries(loaded.schema.keys) as [string, AnyKey][]).map(([name, k]) => {
    const v = values[name];
    return {
      key: k.key,
      variable: k.variable,
      value: v === null || v === undefined ? null : k.secret ? MASK : k.type.format(v),
      source: sources[name] ?? 'default',
    };
  });
}

/** key -> value (secrets masked, null when unset): the effective config as a log line may carry it. */
export function configRecord<K extends Keys>(loaded: LoadedConfig<K>): Record<string, string | null> {
  return Object.fromEntries(printableConfig(loaded).map((r) => [r.key, r.value]));
}

/** Aligned text (`json`: one JSON object) for stdout. */
export function formatConfig<K extends Keys>(loaded: LoadedConfig<K>, json = false): string {
  const rows = printableConfig(loaded);
  if (json) {
    const config: Record<string, { value: string | null; source: string; variable: string }> = {};
    for (const r of rows) config[r.key] = { value: r.value, source: r.source, variable: r.variable };
    return `${JSON.stringify({ app: loaded.schema.app, config })}\n`;
  }
  const w = Math.max(...rows.map((r) => r.key.length));
  const vw = Math.min(48, Math.max(...rows.map((r) => (r.value ?? '-').length)));
  const lines = rows.map(
    (r) => `${r.key.padEnd(w)}  ${(r.value ?? '-').padEnd(vw)}  ${r.source.padEnd(7)}  ${r.variable}`,
  );
  return `# ripple ${loaded.schema.app}: effective config (key, value, source, variable)\n${lines.join('\n')}\n`;
}
