import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseVwapArgs, runVwap, UsageError } from '../src/index.ts';

class Collect extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function run(args: string[], stdin = '') {
  const stdout = new Collect();
  const stderr = new Collect();
  const options = parseVwapArgs(args);
  if (options === null) throw new Error('help');
  const summary = await runVwap(options, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout,
    stderr,
    now: () => 0,
  });
  return { out: stdout.text, err: stderr.text, summary };
}

describe('ripple vwap', () => {
  it('synthetic run: ndjson records with the documented fields; last record per (symbol, window) is final', async () => {
    const { out, summary } = await run(['--synthetic', '30000', '--window', '10s', '--format', 'ndjson']);
    const recs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(summary.events).toBe(30000);
    expect(recs.length).toBe(summary.deltas);
    expect(recs[0]).toHaveProperty('symbol');
    for (const f of [
      'window_start_ns',
      'window_end_ns',
      'vwap',
      'volume',
      'count',
      'delta',
      'partition',
      'seq',
    ]) {
      expect(recs[0]).toHaveProperty(f);
    }
    // 30 s of event time, 10 s windows, 100 symbols: 3 windows x 100 symbols, each with 100 events
    const last = new Map<string, { count: number }>();
    for (const r of recs) last.set(`${r.symbol}@${r.window_start_ns}`, r);
    expect(last.size).toBe(300);
    for (const r of last.values()) expect(r.count).toBe(100);
  });

  it('is deterministic: the same input twice gives byte-identical output', async () => {
    const a = await run(['--synthetic', '20000', '--window', '5s', '--slide', '1s', '--format', 'csv']);
    const b = await run(['--synthetic', '20000', '--window', '5s', '--slide', '1s', '--format', 'csv']);
    expect(a.out.length).toBeGreaterThan(1000);
    expect(a.out).toBe(b.out);
    const lines = 'A,10,1,0,X\nB,20,2,5,X\nA,11,1,1000000000,X\nA,12,3,500,X\n';
    const c = await run(['--stdin', '--window', '1s', '--lateness', '2s', '--format', 'ndjson'], lines);
    const d = await run(['--stdin', '--window', '1s', '--lateness', '2s', '--format', 'ndjson'], lines);
    expect(c.out).toBe(d.out);
  });

  it('reports malformed lines with line number and reason, counts them and continues', async () => {
    const input = [
      'SYM1,100.5,10,1000,XNAS',
      '# comment',
      '',
      'SYM1,abc,10,1001,XNAS',
      'SYM1,100,-5,1002,XNAS',
      'SYM1,100,5',
      'SYM1,NaN,5,1003,XNAS',
      'SYM1,100,5,99999999999999999999,XNAS',
      'SYM1,100,5,-1,XNAS',
      'SYM1,101,30,2000,XNYS\r',
    ].join('\n');
    const { out, err, summary } = await run(['--stdin', '--format', 'ndjson'], input);
    expect(summary.badLines).toBe(6);
    expect(summary.events).toBe(2);
    expect(err).toContain('line 4: price "abc"');
    expect(err).toContain('line 5: size "-5"');
    expect(err).toContain('line 6: expected 5 fields, got 3');
    expect(err).toContain('line 7: price "NaN"');
    expect(err).toContain('line 8: timestamp_ns');
    expect(err).toContain('line 9: timestamp_ns "-1"');
    expect(err).toMatch(/6 bad line\(s\)/);
    const rec = JSON.parse(out.trim());
    expect(rec).toMatchObject({ symbol: 'SYM1', count: 2, volume: 40 });
    expect(rec.vwap).toBeCloseTo((100.5 * 10 + 101 * 30) / 40, 12);
  });

  it('late events beyond lateness are reported and counted; within lateness they correct the window', async () => {
    const input = [
      'A,10,1,0,X',
      'A,10,1,3000000000,X',
      'A,20,1,500000000,X',
      'A,30,1,9000000000,X',
      'A,40,1,100,X',
    ].join('\n');
    const { out, err, summary } = await run(
      ['--stdin', '--window', '1s', '--lateness', '3s', '--format', 'ndjson'],
      input,
    );
    expect(summary.late).toBe(1); // t=100 ns arrives at watermark 9 s: [0, 1 s) closed for good at 4 s
    expect(err).toContain('late event');
    const recs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const w0 = recs.filter((r) => r.window_start_ns === 0);
    expect(w0.map((r) => r.delta)).toEqual(['set', 'patch']);
    expect(w0.at(-1)).toMatchObject({ count: 2, vwap: 15 });
  });

  it('rejects unusable arguments with a UsageError naming the option', () => {
    expect(() => parseVwapArgs(['--synthetic', 'x'])).toThrow(UsageError);
    expect(() => parseVwapArgs([])).toThrow(/give an input/);
    expect(() => parseVwapArgs(['--stdin', '--window', '60s', '--slide', '7s'])).toThrow(/--slide/);
    expect(() => parseVwapArgs(['--stdin', '--format', 'xml'])).toThrow(/--format/);
    expect(() => parseVwapArgs(['--stdin', '--file', 'x'])).toThrow(/exactly one/);
    expect(parseVwapArgs(['--help'])).toBeNull();
  });

  it('an unreadable file is an InputError (exit 1)', async () => {
    const options = parseVwapArgs(['--file', '/nonexistent/trades.csv']);
    if (options === null) throw new Error('help');
    const io = { stdin: new PassThrough(), stdout: new Collect(), stderr: new Collect(), now: () => 0 };
    await expect(runVwap(options, io)).rejects.toMatchObject({ code: 'CLI_INPUT_UNREADABLE', exitCode: 1 });
  });
});
