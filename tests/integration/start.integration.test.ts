// `pnpm start`'s scenario as CI runs it (bounded): the embedded cluster — coordinator, checkpointer
// and worker processes over the hub, the file log and a local checkpoint directory, no external
// service — with a 4th worker joining and one SIGKILLed, must end exactly at the oracle, with
// checkpoints committed and the moved partitions restored through committed manifests. It needs
// no service, but it starts six processes: it runs with the integration suites, one file at a time.
// Measured: 59-97 s at load 17-25 on the shared 2-core machine (the processes take 20-40 s to form
// the cluster there); bounded at 150 s.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('pnpm start (embedded cluster)', () => {
  test('rebalances on a join and on a SIGKILL, restores through committed checkpoints, output exact', async () => {
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--conditions=@ripple/source', join(ROOT, 'scripts/start.ts'), '--seconds', '20', '--json'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME },
          timeout: 145_000,
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
      checkpointed: true,
      missing: 0,
      wrong: 0,
      extra: 0,
      joined: true,
      killed: true,
    });
    expect(r.code).toBe(0);
    expect(summary.windows as number).toBeGreaterThan(100);
    expect(summary.rebalances as number).toBeGreaterThanOrEqual(3); // formed, join, death
    // the checkpointer committed checkpoints of every partition, and the partitions that moved
    // after the first one were restored from a committed manifest (its restore lookups answered ok)
    const ck = summary.checkpoints as {
      committed: number;
      last: { partitions: number; bytesFull: number; bytesIncremental: number } | null;
      restores: { ok: number; none: number; unavailable: number };
    };
    expect(ck.committed).toBeGreaterThanOrEqual(3);
    expect(ck.last?.partitions).toBe(32);
    expect(ck.restores.ok).toBeGreaterThan(0);
    // the view's VWAP rows come from the owners' state over `ripple query`'s path
    expect((summary.queries as { ok: number }).ok).toBeGreaterThan(0);
    // piped: one NDJSON view line a second while it runs, with the last checkpoint
    const views = lines.slice(0, -1).map(
      (l) =>
        JSON.parse(l) as {
          workers: unknown[];
          produced: number;
          lastCheckpoint: { id: string; ageSec: number; bytesFull: number } | null;
          vwap: Array<{ symbol: string; status: string; last: { vwap: number; count: number } | null }>;
        },
    );
    expect(views.length).toBeGreaterThan(10);
    expect(views.some((v) => v.workers.length === 4)).toBe(true);
    const seen = views.flatMap((v) => (v.lastCheckpoint === null ? [] : [v.lastCheckpoint]));
    expect(new Set(seen.map((c) => c.id)).size).toBeGreaterThan(1);
    expect(seen.some((c) => c.bytesFull > 0)).toBe(true);
    expect(views.some((v) => v.vwap.some((r) => r.status === 'ok' && (r.last?.count ?? 0) > 0))).toBe(true);
  }, 150_000);
});
