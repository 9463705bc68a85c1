/**
 * `RIPPLE_*` variables that are not app config but that scripts, infra and
 * test harnesses set or read; they reach the apps' environment (a shell that
 * ran them, a child process's inherited env) and must not be refused.
 * Each names who reads it. A new tooling variable goes here, with its reader.
 */
export const TOOLING_VARIABLES: Readonly<Record<string, string>> = {
  RIPPLE_BUILD_CA: 'infra/images.sh (extra CA for image builds)',
  RIPPLE_USE_SYSTEM_DOCKER: 'infra/images.sh',
  RIPPLE_DOCKER_STORAGE: 'infra/docker.sh',
  RIPPLE_IMAGE_CACHE: 'infra/base-image.sh',
  RIPPLE_NODE_VERSION: 'infra/base-image.sh',
  RIPPLE_JAEGER_CACHE: 'infra/jaeger.sh',
  RIPPLE_K8S_CACHE: 'infra/k8s/build.sh',
  RIPPLE_STATE_DIR: 'infra/lib.sh',
  RIPPLE_CI_CLUSTER: 'infra/compose/ci.yaml, k8s/overlays/ci, tests/deploy',
  RIPPLE_WORKER_IMAGE: 'compose.yaml, tests/deploy',
  RIPPLE_COORDINATOR_IMAGE: 'compose.yaml',
  RIPPLE_CHECKPOINTER_IMAGE: 'compose.yaml',
  RIPPLE_KAFKA_BROKERS: 'compose.yaml (interpolated into KAFKA_BROKERS)',
  RIPPLE_NATS_URL: 'compose.yaml (interpolated into NATS_URL)',
  RIPPLE_S3_ENDPOINT: 'compose.yaml (interpolated into S3_ENDPOINT)',
  RIPPLE_OTLP_ENDPOINT: 'compose.yaml (interpolated into OTEL_EXPORTER_OTLP_ENDPOINT)',
  RIPPLE_DEV_WORKERS: 'scripts/dev.ts (pnpm turbo dev: number of workers)',
  RIPPLE_DEV_PORT_BASE: "scripts/dev.ts (pnpm turbo dev: worker i's health port, base + 10 i; metrics + 2)",
  RIPPLE_START_DEBUG: 'scripts/start.ts (pnpm start)',
  RIPPLE_INTEGRITY_KILLS: 'scripts/integrity.ts',
  RIPPLE_KAFKA_LIBS: 'tests/integration/private-kafka.ts',
  RIPPLE_SERVICES: 'tests/integration/providers (env or containers), infra/service-images.sh',
  RIPPLE_KAFKA_LIBS_CACHE: 'infra/service-images.sh',
  RIPPLE_MINIO_CACHE: 'infra/service-images/minio-build.sh',
  RIPPLE_MINIO_VERSION: 'infra/service-images/minio-build.sh',
  RIPPLE_COORDINATOR_URL: 'the ripple CLI (ripple status --url default)',
};
