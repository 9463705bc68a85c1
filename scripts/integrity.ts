// `pnpm integrity [--kills N]`: the worker integrity suite against real Kafka, NATS and S3 (the
// kill test in cluster checkpoint mode, with the checkpointer; needs `pnpm infra:up` and
// `source infra/.run/env`). Default 20 kills, as in CI.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const at = args.indexOf('--kills');
const kills = at >= 0 ? Number(args[at + 1]) : 20;
if (!Number.isInteger(kills) || kills < 1) {
  console.error('usage: pnpm integrity [--kills N]   (N >= 1)');
  process.exit(2);
}
const r = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--config',
    'vitest.integration.config.ts',
    'tests/integration/worker-integrity.integration.test.ts',
  ],
  { stdio: 'inherit', env: { ...process.env, RIPPLE_INTEGRITY_KILLS: String(kills) } },
);
process.exit(r.status ?? 1);
