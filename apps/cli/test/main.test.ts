import { execFile } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';

class Collect extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export async function ripple(args: string[], env: Record<string, string | undefined> = {}, stdin = '') {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env });
  return { code, out: stdout.text, err: stderr.text };
}

describe('ripple (the binary)', () => {
  it('--help lists every command; --version prints the package version', async () => {
    const h = await ripple(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['vwap', 'produce', 'tail', 'status', 'checkpoints'])
      expect(h.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    const v = await ripple(['--version']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('no command or an unknown one: the reason and the usage on stderr, exit 2', async () => {
    const none = await ripple([]);
    expect(none.code).toBe(2);
    expect(none.out).toBe('');
    expect(none.err).toMatch(/give a command[\s\S]*Commands:/);
    const bad = await ripple(['vwapp']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown command "vwapp"');
  });

  it('each command: --help on stdout with exit 0; misuse names the option with its usage line, exit 2', async () => {
    for (const c of ['vwap', 'checkpoints']) {
      const h = await ripple([c, '--help']);
      expect(h.code).toBe(0);
      expect(h.out).toContain(`ripple ${c}`);
      const m = await ripple([c, '--no-such-option']);
      expect(m.code).toBe(2);
      expect(m.out).toBe('');
      expect(m.err).toContain(`ripple ${c}: unknown option --no-such-option`);
      expect(m.err).toContain(`usage: pnpm ripple ${c}`);
    }
  });

  it('vwap succeeds through main', async () => {
    const r = await ripple(['vwap', '--stdin', '--format=ndjson'], {}, 'A,10,1,5,X\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.trim())).toMatchObject({ symbol: 'A', vwap: 10 });
  });

  it('runs as a process: pnpm ripple --version (the real entry point, exit status)', async () => {
    const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(process.execPath, ['--conditions=@ripple/source', entry, ...args], (e, out, err) =>
          resolve({ code: e === null ? 0 : Number((e as { code?: number }).code), out, err }),
        );
      });
    expect((await run(['--version'])).code).toBe(0);
    const bad = await run(['vwap', '--window', '60', '--stdin']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--window: "60" has no unit');
    // two Node processes compiling the CLI's sources: ~2 s idle, beyond vitest's 5 s default at load 20
  }, 60_000);
});
