import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One vitest config for the whole monorepo: one project per package/app that
// has a `test/` folder, named after its folder (`--project protocol`). Paths
// are taken from this file's folder, not the current directory, so the same
// config runs from the root (`pnpm test`) and from a package
// (`pnpm -F @ripple/protocol test`, `pnpm turbo run test --filter=@ripple/protocol`).
// Sources are resolved through the `@ripple/source` export condition, so
// tests never need a build step.
const root = fileURLToPath(new URL('.', import.meta.url));
const dirs = ['packages', 'apps'].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, group, d.name, 'test')))
        .map((d) => ({ name: d.name, dir: join(root, group, d.name) }))
    : [],
);
// The repository's own tooling (scripts/boundaries.ts) is tested too, and the
// integration suites' service-provider selection (tests/integration/providers).
dirs.push({ name: 'scripts', dir: join(root, 'scripts') });
dirs.push({ name: 'integration-providers', dir: join(root, 'tests/integration/providers') });

export default defineConfig({
  resolve: { conditions: ['@ripple/source'] },
  ssr: { resolve: { conditions: ['@ripple/source'] } },
  test: {
    projects: dirs.map(({ name, dir }) => ({
      extends: true,
      test: {
        name,
        root: dir,
        include: ['test/**/*.test.ts'],
        exclude: ['test/**/*.integration.test.ts'],
      },
    })),
  },
});
