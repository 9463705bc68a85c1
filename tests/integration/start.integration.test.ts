// `pnpm start`'s scenario as CI runs it (bounded): the embedded cluster — coordinator and worker
// processes over the hub and the file log, no external service — with a 4th worker joining and
// one SIGKILLed, must end exactly at the oracle. It needs no service, but it starts five
// processes: it runs with the integration suites, one file at a time.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('pnpm start (embedded cluster)', () => {
  test('rebalances on a join and on a SIGKILL, and the output is exact against the oracle', async () => {
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--conditions=@ripple/source', join(ROOT, 'scripts/start.ts'), '--seconds', '20', '--json'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME },
          timeout: 110_000,
          maxBuffer: 64 << 20,
        },
        (e, out, err) =>
          resolve({ code: e === null ? 0 : Number((e as { code?: number }).code ?? 1), out, err }),
      ),
    );
    const lines = r.out.trim().split('\n');
    const summary = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary, `${r.err.slice(-4000)}`).toMatchObject({
      summary: true,
      exact: true,
      missing: 0,
      wrong: 0,
      extra: 0,
      joined: true,
      killed: true,
    });
    expect(r.code).toBe(0);
    expect(summary.windows as number).toBeGreaterThan(100);
    expect(summary.rebalances as number).toBeGreaterThanOrEqual(3); // formed, join, death
    // piped: one NDJSON view line a second while it runs
    const views = lines.slice(0, -1).map((l) => JSON.parse(l) as { workers: unknown[]; produced: number });
    expect(views.length).toBeGreaterThan(10);
    expect(views.some((v) => v.workers.length === 4)).toBe(true);
  }, 120_000);
});
