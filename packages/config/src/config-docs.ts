/**
 * docs/config.md, rendered from the schemas (`pnpm config:docs` writes it; a
 * unit test fails when the committed file differs).
 */
import { KNOWN_NAMES, SCHEMAS } from './catalog.ts';
import type { AnyKey, Fallback } from './config-key.ts';
import { TOOLING_VARIABLES } from './tooling-variables.ts';

const cell = (s: string) =>
  s.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fallbackText(f: Fallback): string {
  switch (f.kind) {
    case 'value':
      return `\`${f.raw}\``;
    case 'derived':
      return f.text;
    case 'none':
      return f.text;
    case 'required':
      return '**required**';
  }
}

export function renderConfigDocs(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/config (the one schema of the apps) by `pnpm config:docs`; do not edit by hand:',
    '     a unit test (packages/config/test/config-docs.test.ts) fails when this file differs from the schema. -->',
    '',
    'Every app (worker, coordinator, checkpointer) reads its keys from the environment and, when',
    '`RIPPLE_CONFIG_FILE` names one, from a JSON file of snake_case keys (the environment wins).',
    '',
    '- An invalid value stops start-up with exit code 2 and a message naming the key and its variable:',
    '  `invalid config num_partitions (RIPPLE_NUM_PARTITIONS): 0 is outside [1, 100000]`.',
    '- A `RIPPLE_*` variable (or a config-file key) that no app knows is refused, naming the closest valid one:',
    '  `unknown variable RIPPLE_WORKR_ID: did you mean RIPPLE_WORKER_ID (key worker_id, worker)?`.',
    '  One environment (a ConfigMap, compose.yaml, `pnpm start`) is shared by all apps, so a key of another',
    '  app is accepted and ignored; the tooling variables listed at the end are accepted too.',
    "- `--print-config [--json]` on an app's entry (`node --conditions=@ripple/source apps/worker/src/main.ts",
    '  --print-config`) prints the effective config: each key with its value, its source (default, env, file)',
    '  and its variable; secrets are masked. Exit 0. `pnpm ripple config worker|coordinator|checkpointer`',
    '  prints the same for the current environment without starting the app.',
    '',
  ];
  for (const s of SCHEMAS) {
    out.push(`## ${s.app}`, '', '| key | variable | type | default | description |', '|---|---|---|---|---|');
    for (const k of Object.values(s.keys) as AnyKey[]) {
      const notes = [k.secret ? 'Secret: masked.' : '', k.envOnly ? 'Environment only.' : ''].filter(Boolean);
      out.push(
        `| ${k.key} | ${k.variable} | ${cell(k.type.describe)} | ${cell(fallbackText(k.fallback))} | ${cell(
          [k.description, ...notes].join(' '),
        )} |`,
      );
    }
    out.push('');
  }
  const shared = KNOWN_NAMES.filter((n) => n.apps.length > 1);
  out.push(
    '## Variables read by more than one app',
    '',
    '| variable | key | apps |',
    '|---|---|---|',
    ...shared.map((n) => `| ${n.variable} | ${n.key} | ${n.apps.join(', ')} |`),
    '',
    '## Tooling variables (accepted, not app config)',
    '',
    '| variable | read by |',
    '|---|---|',
    ...Object.entries(TOOLING_VARIABLES).map(([v, who]) => `| ${v} | ${cell(who)} |`),
    '',
  );
  return out.join('\n');
}
