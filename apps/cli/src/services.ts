/**
 * Where the services are, for the commands that talk to a running cluster:
 * an option first, then the variable the apps read (KAFKA_BROKERS, NATS_URL,
 * RIPPLE_CLUSTER, the topic names), then the apps' defaults. A missing
 * endpoint is a usage error that says what to set.
 */
import { UsageError } from './errors.ts';
import { type Parsed, str } from './parse.ts';

type Env = Readonly<Record<string, string | undefined>>;

export function kafkaBrokers(p: Parsed, env: Env): string[] {
  const text = str(p, 'brokers') ?? env.KAFKA_BROKERS ?? '';
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0)
    throw new UsageError(
      'no Kafka brokers: give --brokers HOST:PORT or set KAFKA_BROKERS (`source infra/.run/env` after `pnpm infra:up`)',
      '--brokers',
    );
  for (const b of list)
    if (!/^[^\s:]+:\d{1,5}$/.test(b))
      throw new UsageError(`--brokers: ${JSON.stringify(b)} is not HOST:PORT`, '--brokers');
  return list;
}

/** The worker's topic names (RIPPLE_INPUT_TOPIC, RIPPLE_OUTPUT_TOPIC, RIPPLE_DLQ_TOPIC; late = input + "-late"). */
export function topics(env: Env): { input: string; output: string; dlq: string; late: string } {
  const input = env.RIPPLE_INPUT_TOPIC || 'trades';
  return {
    input,
    output: env.RIPPLE_OUTPUT_TOPIC || 'vwap-output',
    dlq: env.RIPPLE_DLQ_TOPIC || 'trades-dlq',
    late: `${input}-late`,
  };
}

export function clusterName(p: Parsed, env: Env): string {
  const c = str(p, 'cluster') ?? (env.RIPPLE_CLUSTER || 'ripple');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(c))
    throw new UsageError(`--cluster ${JSON.stringify(c)} is not [A-Za-z0-9_-]{1,64}`, '--cluster');
  return c;
}
