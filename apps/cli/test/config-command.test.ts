import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function ripple(args: string[], env: Record<string, string>) {
  const io = { stdin: Readable.from([]), stdout: new Collect(), stderr: new Collect(), env };
  const code = await main(args, io);
  return { code, out: io.stdout.text, err: io.stderr.text };
}

const COORDINATOR = { RIPPLE_COORDINATOR_ID: 'c0', NATS_URL: 'nats://127.0.0.1:4222' };

describe('ripple config APP', () => {
  it('the effective config of the app from this environment, secrets masked; --json', async () => {
    const r = await ripple(['config', 'coordinator'], { ...COORDINATOR, RIPPLE_NATS_TOKEN: 'tok-secret' });
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^coordinator_id +c0 +env +RIPPLE_COORDINATOR_ID$/m);
    expect(r.out).toMatch(/^vnodes +128 +default +RIPPLE_VNODES$/m);
    expect(r.out).toMatch(/^nats_token +\*+ +env +RIPPLE_NATS_TOKEN$/m);
    expect(r.out).not.toContain('tok-secret');
    const j = await ripple(['config', 'checkpointer', '--json'], {
      S3_BUCKET: 'bkt',
      RIPPLE_INSTANCE_ID: 'k',
    });
    expect(JSON.parse(j.out)).toMatchObject({
      app: 'checkpointer',
      config: { s3_bucket: { value: 'bkt', source: 'env', variable: 'S3_BUCKET' } },
    });
  });

  it('an invalid or misspelled variable: named with its key (the closest one), exit 2', async () => {
    const bad = await ripple(['config', 'coordinator'], { ...COORDINATOR, RIPPLE_VNODES: '0' });
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toBe(
      'ripple config coordinator: invalid config vnodes (RIPPLE_VNODES): 0 is outside [1, 4096]\n',
    );
    const typo = await ripple(['config', 'worker'], { RIPPLE_WORKER_ID: 'w', RIPPLE_SORCE: 'memory' });
    expect(typo.code).toBe(2);
    expect(typo.err).toContain(
      'unknown variable RIPPLE_SORCE: did you mean RIPPLE_SOURCE (key source, worker)?',
    );
  });

  it('--help, and misuse with the usage line (exit 2)', async () => {
    const h = await ripple(['config', '--help'], {});
    expect([h.code, h.err]).toEqual([0, '']);
    expect(h.out).toContain('ripple config:');
    for (const [args, msg] of [
      [['config'], /name the app: worker \| coordinator \| checkpointer/],
      [['config', 'dashboard'], /APP "dashboard" is not one of worker, coordinator, checkpointer/],
      [['config', 'worker', 'extra'], /unexpected argument "extra"/],
    ] as const) {
      const r = await ripple([...args], {});
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain('usage: pnpm ripple config');
    }
  });
});
