// Every app's command line around its config (@ripple/config): `--print-config`
// prints the effective config with sources and secrets masked and exits 0; a
// misspelled RIPPLE_* variable stops start-up with exit 2 naming the closest key.
// Each case starts the real process: ~1 s of CPU, much longer on a loaded machine.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs `apps/<app>/src/main.ts` with only `env` (no inherited RIPPLE_* variables). */
function run(app: string, env: Record<string, string>, args: string[]) {
  return new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@ripple/source', join(ROOT, 'apps', app, 'src', 'main.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 100_000 },
      (e, out, err) => resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : -1, out, err }),
    );
  });
}

const secrets = {
  S3_SECRET_ACCESS_KEY: 'sekrit-s3',
  RIPPLE_NATS_USER: 'u',
  RIPPLE_NATS_PASSWORD: 'sekrit-nats',
};
const apps = [
  { app: 'worker', key: 'worker_id', variable: 'RIPPLE_WORKER_ID', env: { KAFKA_BROKERS: '127.0.0.1:9' } },
  {
    app: 'coordinator',
    key: 'coordinator_id',
    variable: 'RIPPLE_COORDINATOR_ID',
    env: { NATS_URL: 'nats://127.0.0.1:9' },
  },
  { app: 'checkpointer', key: 'instance_id', variable: 'RIPPLE_INSTANCE_ID', env: { S3_BUCKET: 'bkt' } },
] as const;

describe.each(apps)('$app', ({ app, key, variable, env }) => {
  const base = { ...env, ...secrets, [variable]: `${app}-print` };

  test('--print-config: every key with value, source and variable, secrets masked; exit 0', async () => {
    const r = await run(app, base, ['--print-config']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(new RegExp(`^${key} +${app}-print +env +${variable}$`, 'm'));
    expect(r.out).toMatch(/^health_port +\d+ +default +RIPPLE_HEALTH_PORT$/m);
    expect(r.out).toMatch(/^nats_password +\*+ +env +RIPPLE_NATS_PASSWORD$/m);
    expect(r.out).not.toContain('sekrit');
    const json = JSON.parse((await run(app, base, ['--print-config', '--json'])).out) as {
      app: string;
      config: Record<string, { value: string | null; source: string }>;
    };
    expect(json.app).toBe(app);
    expect(json.config[key]).toMatchObject({ value: `${app}-print`, source: 'env' });
  }, 240_000);

  test('a misspelled RIPPLE_* variable: exit 2, naming the closest key and its variable', async () => {
    const r = await run(app, { ...base, [`${variable}D`]: 'x' }, ['--print-config']);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toContain(`unknown variable ${variable}D: did you mean ${variable} (key ${key}, ${app})?`);
  }, 120_000);
});
