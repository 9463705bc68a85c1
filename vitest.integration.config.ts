import { defineConfig } from 'vitest/config';

// The integration suite (`pnpm test:integration`): real services, endpoints
// from the environment: started by infra/up.sh (source infra/.run/env), or as
// containers through testcontainers by the global setup (RIPPLE_SERVICES,
// tests/integration/providers/, decision 0011). Kept
// apart from the unit projects in vitest.config.ts, which exclude
// *.integration.test.ts.
export default defineConfig({
  resolve: { conditions: ['@ripple/source'] },
  ssr: { resolve: { conditions: ['@ripple/source'] } },
  test: {
    name: 'integration',
    include: [
      'tests/integration/**/*.integration.test.ts',
      '{packages,apps}/*/test/**/*.integration.test.ts',
    ],
    // the testcontainers provider's own tests need that provider (and Docker)
    exclude:
      process.env.RIPPLE_SERVICES === 'containers'
        ? ['**/node_modules/**']
        : ['**/node_modules/**', 'tests/integration/providers/**'],
    globalSetup: ['tests/integration/providers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Services are shared: one file at a time keeps the 2-core machine and the logs readable.
    fileParallelism: false,
  },
});
