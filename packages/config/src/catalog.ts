/**
 * Every app's schema, and the names any of them knows. An environment or a
 * ConfigMap is shared by the apps (k8s/base/configmap.yaml, compose.yaml,
 * pnpm start, pnpm turbo dev, the test harnesses pass one env to all), so a
 * key of another app is not an error: an app ignores it. What no app and no
 * tool knows is refused (docs/decisions/0012-config-schema.md).
 */
import type { AnyKey, AppName, ConfigSchema, Keys } from './config-key.ts';
import { checkpointerSchema } from './schemas/checkpointer.ts';
import { coordinatorSchema } from './schemas/coordinator.ts';
import { workerSchema } from './schemas/worker.ts';

export const SCHEMAS: readonly ConfigSchema<Keys>[] = [workerSchema, coordinatorSchema, checkpointerSchema];

export interface KnownName {
  readonly key: string;
  readonly variable: string;
  readonly apps: readonly AppName[];
}

function known(): KnownName[] {
  const byVariable = new Map<string, { key: string; variable: string; apps: AppName[] }>();
  for (const s of SCHEMAS) {
    for (const k of Object.values(s.keys) as AnyKey[]) {
      const e = byVariable.get(k.variable);
      if (e === undefined) byVariable.set(k.variable, { key: k.key, variable: k.variable, apps: [s.app] });
      else e.apps.push(s.app);
    }
  }
  return [...byVariable.values()];
}

/** Every key of every app, once per variable, with the apps that read it. */
export const KNOWN_NAMES: readonly KnownName[] = known();
