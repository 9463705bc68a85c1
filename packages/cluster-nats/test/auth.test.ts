import { describe, expect, test } from 'vitest';
import { NatsAuthConfigError, natsAuthFromEnv } from '../src/index.ts';

const files: Record<string, string> = {
  '/run/secrets/pw': 's3cret-pw\n',
  '/run/secrets/seed': `SU${'A'.repeat(56)}\n`,
  '/run/secrets/bad-seed': 'not-a-seed',
};
const read = (p: string) => {
  const v = files[p];
  if (v === undefined) throw new Error('ENOENT');
  return v;
};

describe('natsAuthFromEnv', () => {
  test('no variables: no credentials', () => {
    expect(natsAuthFromEnv({}, read)).toMatchObject({ method: 'none' });
  });

  test('user + password file; describe never holds the secret', () => {
    const a = natsAuthFromEnv({ RIPPLE_NATS_USER: 'w1', RIPPLE_NATS_PASSWORD_FILE: '/run/secrets/pw' }, read);
    expect(a.method).toBe('user_password');
    expect(a.options.authenticator).toBeTypeOf('function');
    expect(a.describe).toBe('user w1');
    expect(JSON.stringify(a)).not.toContain('s3cret');
  });

  test('nkey seed from a file, validated', () => {
    expect(natsAuthFromEnv({ RIPPLE_NATS_NKEY_SEED_FILE: '/run/secrets/seed' }, read).method).toBe('nkey');
    expect(() => natsAuthFromEnv({ RIPPLE_NATS_NKEY_SEED_FILE: '/run/secrets/bad-seed' }, read)).toThrow(
      /RIPPLE_NATS_NKEY_SEED_FILE/,
    );
  });

  test('errors name the variable, never the value', () => {
    const cases: [Record<string, string>, string][] = [
      [{ RIPPLE_NATS_PASSWORD: 'x' }, 'RIPPLE_NATS_USER'],
      [{ RIPPLE_NATS_USER: 'w1' }, 'RIPPLE_NATS_PASSWORD'],
      [{ RIPPLE_NATS_PASSWORD_FILE: '/missing', RIPPLE_NATS_USER: 'u' }, 'RIPPLE_NATS_PASSWORD_FILE'],
      [{ RIPPLE_NATS_USER: 'u', RIPPLE_NATS_PASSWORD: 'topsecret', RIPPLE_NATS_TOKEN: 't' }, 'RIPPLE_NATS_*'],
    ];
    for (const [env, variable] of cases) {
      try {
        natsAuthFromEnv(env, read);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(NatsAuthConfigError);
        expect((e as NatsAuthConfigError).variable).toBe(variable);
        expect((e as Error).message).not.toContain('topsecret');
      }
    }
  });
});
