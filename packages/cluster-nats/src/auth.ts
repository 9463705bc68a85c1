/**
 * NATS credentials from the environment or mounted files, never logged.
 * Exactly one method may be configured:
 * - user/password: `RIPPLE_NATS_USER` + `RIPPLE_NATS_PASSWORD` (or
 *   `RIPPLE_NATS_PASSWORD_FILE`);
 * - token: `RIPPLE_NATS_TOKEN` (or `RIPPLE_NATS_TOKEN_FILE`);
 * - nkey: `RIPPLE_NATS_NKEY_SEED_FILE` (a file holding the `SU...` seed);
 * - creds: `RIPPLE_NATS_CREDS_FILE` (a decentralized-auth .creds file).
 * TLS: `RIPPLE_NATS_TLS_CA_FILE` (and the URL scheme tls://) turns it on.
 * The result's `describe` names the method and user, never a secret.
 */
import { readFileSync } from 'node:fs';
import {
  type ConnectionOptions,
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';

export type NatsAuthMethod = 'none' | 'user_password' | 'token' | 'nkey' | 'creds';

/** A credential setting that cannot be used; names the variable, never the value. */
export class NatsAuthConfigError extends Error {
  readonly code = 'CLUSTER_NATS_AUTH_CONFIG';
  readonly retryable = false;
  readonly variable: string;
  constructor(variable: string, detail: string) {
    super(`invalid NATS credentials (${variable}): ${detail}`);
    this.name = 'NatsAuthConfigError';
    this.variable = variable;
  }
}

export interface NatsAuth {
  readonly method: NatsAuthMethod;
  /** safe to log */
  readonly describe: string;
  readonly options: Partial<ConnectionOptions>;
}

type Env = Readonly<Record<string, string | undefined>>;

export function natsAuthFromEnv(
  env: Env,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): NatsAuth {
  const v = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  const file = (k: string): string | undefined => {
    const path = v(k);
    if (path === undefined) return undefined;
    try {
      const s = read(path).trim();
      if (s === '') throw new Error('empty');
      return s;
    } catch (e) {
      throw new NatsAuthConfigError(k, `cannot read ${path}: ${(e as Error).message}`);
    }
  };
  const user = v('RIPPLE_NATS_USER');
  const password = v('RIPPLE_NATS_PASSWORD') ?? file('RIPPLE_NATS_PASSWORD_FILE');
  const token = v('RIPPLE_NATS_TOKEN') ?? file('RIPPLE_NATS_TOKEN_FILE');
  const seed = file('RIPPLE_NATS_NKEY_SEED_FILE');
  const creds = file('RIPPLE_NATS_CREDS_FILE');
  const methods = [
    user !== undefined || password !== undefined,
    token !== undefined,
    seed !== undefined,
    creds !== undefined,
  ];
  if (methods.filter(Boolean).length > 1) {
    throw new NatsAuthConfigError('RIPPLE_NATS_*', 'more than one authentication method is configured');
  }
  const tls = (() => {
    const ca = v('RIPPLE_NATS_TLS_CA_FILE');
    return ca === undefined ? {} : { tls: { caFile: ca } };
  })();
  if (user !== undefined || password !== undefined) {
    if (user === undefined)
      throw new NatsAuthConfigError('RIPPLE_NATS_USER', 'a password is set without a user');
    if (password === undefined)
      throw new NatsAuthConfigError(
        'RIPPLE_NATS_PASSWORD',
        `user ${user} has no password (or RIPPLE_NATS_PASSWORD_FILE)`,
      );
    return {
      method: 'user_password',
      describe: `user ${user}`,
      options: { authenticator: usernamePasswordAuthenticator(user, password), ...tls },
    };
  }
  if (token !== undefined) {
    return {
      method: 'token',
      describe: 'token',
      options: { authenticator: tokenAuthenticator(token), ...tls },
    };
  }
  if (seed !== undefined) {
    if (!/^SU[A-Z2-7]{56}$/.test(seed))
      throw new NatsAuthConfigError('RIPPLE_NATS_NKEY_SEED_FILE', 'not a user nkey seed (SU...)');
    return {
      method: 'nkey',
      describe: 'nkey',
      options: { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), ...tls },
    };
  }
  if (creds !== undefined) {
    return {
      method: 'creds',
      describe: 'creds file',
      options: { authenticator: credsAuthenticator(new TextEncoder().encode(creds)), ...tls },
    };
  }
  return { method: 'none', describe: 'no credentials', options: { ...tls } };
}
