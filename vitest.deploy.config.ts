import { defineConfig } from 'vitest/config';

// `pnpm test:deploy`: the app images run by the local Docker engine and deployed
// into the local Kubernetes
// (infra/k8s/cluster.sh up, pnpm images, source infra/.run/env and
// infra/.run/k8s.env, infra/.run/docker.env). Run by .ci/run.
export default defineConfig({
  resolve: { conditions: ['@ripple/source'] },
  ssr: { resolve: { conditions: ['@ripple/source'] } },
  test: {
    name: 'deploy',
    include: ['tests/deploy/**/*.deploy.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
