import { describe, expect, test } from 'vitest';
import { IMAGE_VARIABLES, imagesFromEnv, OFFICIAL_IMAGES } from '../container-services.ts';
import { freePorts } from '../free-ports.ts';
import { InvalidProviderError, selectProvider } from '../select-provider.ts';

const docker = (answers: boolean) => {
  const calls = { n: 0 };
  return {
    calls,
    probe: async () => {
      calls.n++;
      return answers;
    },
  };
};

describe('selectProvider', () => {
  test('RIPPLE_SERVICES decides, without probing Docker', async () => {
    const d = docker(true);
    expect((await selectProvider({ RIPPLE_SERVICES: 'env' }, d.probe)).kind).toBe('env');
    const c = await selectProvider({ RIPPLE_SERVICES: 'containers', KAFKA_BROKERS: 'x:1' }, d.probe);
    expect(c.kind).toBe('containers');
    expect(d.calls.n).toBe(0);
  });

  test('unset: the environment wins when its endpoints are there', async () => {
    const d = docker(true);
    const s = await selectProvider({ KAFKA_BROKERS: '127.0.0.1:9092' }, d.probe);
    expect(s.kind).toBe('env');
    expect(d.calls.n).toBe(0);
  });

  test('unset, no endpoints: containers when Docker answers, else env (whose suites then fail loudly)', async () => {
    expect((await selectProvider({}, docker(true).probe)).kind).toBe('containers');
    const none = await selectProvider({ RIPPLE_SERVICES: ' ' }, docker(false).probe);
    expect(none.kind).toBe('env');
    expect(none.reason).toContain('no Docker engine');
  });

  test('anything else is refused with a typed error naming the variable', async () => {
    const err = await selectProvider({ RIPPLE_SERVICES: 'docker' }, docker(true).probe).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidProviderError);
    expect(err.code).toBe('INVALID_SERVICES_PROVIDER');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('RIPPLE_SERVICES');
    expect(err.message).toContain("'docker'");
  });
});

describe('imagesFromEnv', () => {
  test('official images by default, each overridable by the variable compose.yaml reads', () => {
    expect(imagesFromEnv({})).toEqual(OFFICIAL_IMAGES);
    const local = imagesFromEnv({
      KAFKA_IMAGE: 'ripple/kafka:3.9.1-local',
      MINIO_IMAGE: ' ',
      JAEGER_IMAGE: 'j:1',
    });
    expect(local).toEqual({ ...OFFICIAL_IMAGES, kafka: 'ripple/kafka:3.9.1-local', jaeger: 'j:1' });
    expect(Object.values(IMAGE_VARIABLES).sort()).toEqual([
      'JAEGER_IMAGE',
      'KAFKA_IMAGE',
      'MINIO_IMAGE',
      'NATS_IMAGE',
    ]);
  });
});

describe('freePorts', () => {
  test('distinct ports nobody listens on', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) expect(p).toBeGreaterThan(1023);
  });
});
