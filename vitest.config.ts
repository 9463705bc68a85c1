import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One vitest config for the whole monorepo: one project per package/app that
// has a `test/` folder. Sources are resolved through the `@ripple/source`
// export condition, so tests never need a build step.
const dirs = ['packages', 'apps'].flatMap((root) =>
  existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(`${root}/${d.name}/test`))
        .map((d) => `${root}/${d.name}`)
    : [],
);

export default defineConfig({
  resolve: { conditions: ['@ripple/source'] },
  ssr: { resolve: { conditions: ['@ripple/source'] } },
  test: {
    projects: dirs.map((dir) => ({
      extends: true,
      test: {
        name: dir.split('/')[1] ?? dir,
        root: dir,
        include: ['test/**/*.test.ts'],
        exclude: ['test/**/*.integration.test.ts'],
      },
    })),
  },
});
