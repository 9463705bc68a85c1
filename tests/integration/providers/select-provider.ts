// Which service provider the integration suites use (decision 0011):
//   RIPPLE_SERVICES=env         the endpoints already in the environment
//                               (infra/up.sh + `source infra/.run/env`)
//   RIPPLE_SERVICES=containers  Kafka, NATS, S3 and Jaeger as containers through
//                               testcontainers (a Docker engine is required)
//   unset                       env when KAFKA_BROKERS is set, else containers
//                               when a Docker engine answers, else env (whose
//                               missing variables then fail every suite loudly).

export type ProviderKind = 'env' | 'containers';

export interface ProviderSelection {
  readonly kind: ProviderKind;
  readonly reason: string;
}

/** RIPPLE_SERVICES holds something else than `env` or `containers`. */
export class InvalidProviderError extends Error {
  readonly code = 'INVALID_SERVICES_PROVIDER';
  readonly retryable = false;
  readonly value: string;
  constructor(value: string) {
    super(`RIPPLE_SERVICES must be 'env' or 'containers' (or unset), got '${value}'`);
    this.name = 'InvalidProviderError';
    this.value = value;
  }
}

export async function selectProvider(
  env: Readonly<Record<string, string | undefined>>,
  dockerAnswers: () => Promise<boolean>,
): Promise<ProviderSelection> {
  const asked = env.RIPPLE_SERVICES?.trim() ?? '';
  if (asked === 'env') return { kind: 'env', reason: 'RIPPLE_SERVICES=env' };
  if (asked === 'containers') return { kind: 'containers', reason: 'RIPPLE_SERVICES=containers' };
  if (asked !== '') throw new InvalidProviderError(asked);
  if (env.KAFKA_BROKERS) {
    return { kind: 'env', reason: 'KAFKA_BROKERS is set (infra/.run/env sourced)' };
  }
  if (await dockerAnswers()) {
    return { kind: 'containers', reason: 'no endpoints in the environment and a Docker engine answers' };
  }
  return { kind: 'env', reason: 'no endpoints in the environment and no Docker engine answers' };
}
