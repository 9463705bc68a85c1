import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

// Each test starts the process (twice for the first): ~1 s of CPU each, much longer on a loaded machine.
/** Runs the coordinator process with only `env` (no inherited RIPPLE_* variables) and `args`. */
function run(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@ripple/source', main, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (e, out, err) => resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : -1, out, err }),
    );
  });
}

const env = {
  RIPPLE_COORDINATOR_ID: 'c-print',
  NATS_URL: 'nats://127.0.0.1:9',
  RIPPLE_NATS_TOKEN: 'sekrit-nats',
  S3_SECRET_ACCESS_KEY: 'sekrit-s3',
};

describe('coordinator --print-config', () => {
  test('prints the effective config with sources, secrets masked, and exits 0', async () => {
    const r = await run(env, ['--print-config']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^coordinator_id +c-print +env +RIPPLE_COORDINATOR_ID$/m);
    expect(r.out).toMatch(/^health_port +\d+ +default +RIPPLE_HEALTH_PORT$/m);
    expect(r.out).not.toContain('sekrit');
    const json = JSON.parse((await run(env, ['--print-config', '--json'])).out) as {
      app: string;
      config: Record<string, { value: string | null; source: string }>;
    };
    expect(json.app).toBe('coordinator');
    expect(json.config.coordinator_id).toMatchObject({ value: 'c-print', source: 'env' });
  }, 120_000);

  test('a misspelled RIPPLE_* variable stops start-up (exit 2) naming the closest key and its variable', async () => {
    const r = await run({ ...env, RIPPLE_COORDINATOR_IDD: 'x' }, ['--print-config']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(
      'unknown variable RIPPLE_COORDINATOR_IDD: did you mean RIPPLE_COORDINATOR_ID (key coordinator_id',
    );
  }, 120_000);
});
