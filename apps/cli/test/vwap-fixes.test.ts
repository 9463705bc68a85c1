import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { splitCsvLine } from '@ripple/trades';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, parseVwapArgs, runVwap, UsageError } from '../src/index.ts';

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

describe('ripple vwap: the fixes of issue 13', () => {
  it('a duration without a unit is refused, naming the option; with a unit it is taken', () => {
    expect(() => parseVwapArgs(['--stdin', '--window', '60'])).toThrow(/--window: "60" has no unit/);
    expect(() => parseVwapArgs(['--stdin', '--lateness=5'])).toThrow(/--lateness/);
    expect(parseVwapArgs(['--stdin', '--window=60s'])?.window).toEqual({
      kind: 'tumbling',
      sizeNs: 60_000_000_000n,
    });
    expect(parseVwapArgs(['--stdin', '--window', '100ns'])?.window).toEqual({
      kind: 'tumbling',
      sizeNs: 100n,
    });
  });

  it('millisecond timestamps are refused with the unit to pass; --timestamp-unit ms converts them', async () => {
    const input = 'A,10,1,1700000000000,X\nA,20,1,1700000000500,X\n';
    await expect(run(['--stdin', '--format', 'ndjson'], input)).rejects.toMatchObject({
      code: 'CLI_TIMESTAMP_UNIT',
      exitCode: 2,
      message: expect.stringMatching(/milliseconds.*--timestamp-unit ms/),
    });
    const { out } = await run(
      ['--stdin', '--format', 'ndjson', '--timestamp-unit', 'ms', '--window', '1s'],
      input,
    );
    const rec = JSON.parse(out.trim());
    expect(rec.window_start_ns).toBe(1_700_000_000_000_000_000);
    expect(rec.count).toBe(2);
    // microseconds too; nanoseconds pass as before
    await expect(run(['--stdin'], 'A,10,1,1700000000000000,X\n')).rejects.toMatchObject({
      code: 'CLI_TIMESTAMP_UNIT',
    });
    const ns = await run(['--stdin', '--format', 'ndjson'], 'A,10,1,1700000000000000000,X\n');
    expect(ns.summary.events).toBe(1);
  });

  it('a CSV header row is recognised and skipped (not a bad line); only as the first data line', async () => {
    const { summary, err } = await run(
      ['--stdin', '--format', 'ndjson'],
      '# exported\nsymbol,price,size,timestamp_ns,venue\nA,10,1,5,X\nsymbol,price,size,timestamp_ns,venue\n',
    );
    expect(summary.headers).toBe(1);
    expect(summary.events).toBe(1);
    expect(summary.badLines).toBe(1); // a second header line is data, and malformed
    expect(err).toContain('line 4: price "price"');
  });

  it('bad-line reports are capped on stderr with a count; --bad-out keeps them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-cli-'));
    const badOut = join(dir, 'bad.txt');
    const input = `${Array.from({ length: 250 }, (_, i) => `A,x,1,${i},X`).join('\n')}\nA,10,1,5,X\n`;
    const { err, summary } = await run(['--stdin', '--bad-out', badOut], input);
    expect(summary.badLines).toBe(250);
    expect(err.match(/^line \d+: /gm)?.length).toBe(100);
    expect(err).toContain(`further bad lines go to ${badOut} only`);
    expect(err).toMatch(/250 bad line\(s\)/);
    const kept = readFileSync(badOut, 'utf8').trim().split('\n');
    expect(kept.length).toBe(250);
    expect(kept[249]).toContain('line 250: price "x"');
    const noFile = await run(['--stdin'], input);
    expect(noFile.err).toContain('use --bad-out FILE to keep them all');
  });

  it('the CSV output starts with a plain header line', async () => {
    const { out } = await run(['--stdin'], 'A,10,1,5,X\n');
    const [header, first] = out.split('\n');
    expect(header).toBe(CSV_HEADER);
    expect(header).toBe('symbol,window_start_ns,window_end_ns,vwap,volume,count,delta,partition,seq');
    expect(splitCsvLine(first ?? '')?.[0]).toBe('A');
  });

  it('--symbols without --synthetic is an error', () => {
    expect(() => parseVwapArgs(['--stdin', '--symbols', '5'])).toThrow(UsageError);
    expect(() => parseVwapArgs(['--file', 'x.csv', '--symbols', '5'])).toThrow(
      /--symbols applies to --synthetic/,
    );
    expect(parseVwapArgs(['--synthetic', '10', '--symbols', '5'])?.input).toEqual({
      kind: 'synthetic',
      events: 10,
      symbols: 5,
    });
  });

  it('quoted fields round trip: symbols with commas, quotes and newlines, in the output and in --late-out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-cli-'));
    const lateOut = join(dir, 'late.csv');
    const input = '"A,""B""\nC",10,1,5000000000,X\nplain,10,1,5000000000,X\n"A,""B""\nC",20,1,1,"V,1"\n';
    const { out, summary } = await run(['--stdin', '--window', '1s', '--late-out', lateOut], input);
    expect(summary.events).toBe(3);
    expect(summary.badLines).toBe(0);
    expect(summary.late).toBe(1);
    // output CSV: the record with the odd symbol reads back to the same symbol
    const rows = out.trim().split(/\n(?=plain|")/);
    const odd = rows.map((r) => splitCsvLine(r)).find((f) => f?.[0]?.startsWith('A'));
    expect(odd?.[0]).toBe('A,"B"\nC');
    // the late trade, written with the formatter, is read back as a trade
    const late = await run(['--stdin', '--format', 'ndjson'], readFileSync(lateOut, 'utf8'));
    expect(late.summary.events).toBe(1);
    expect(JSON.parse(late.out.trim()).symbol).toBe('A,"B"\nC');
  });

  it('--json: ndjson records and a JSON summary on stderr', async () => {
    const { out, err } = await run(['--synthetic', '2000', '--window', '1s', '--json']);
    expect(JSON.parse(out.split('\n')[0] ?? '')).toHaveProperty('vwap');
    expect(JSON.parse(err.trim())).toMatchObject({ summary: { events: 2000, badLines: 0 } });
    expect(() => parseVwapArgs(['--synthetic', '1', '--json', '--format', 'csv'])).toThrow(/--json/);
  });

  it('parseArgs: --flag=value accepted, unknown options name the closest one, missing values are named', () => {
    expect(parseVwapArgs(['--synthetic=10'])?.input).toMatchObject({ events: 10 });
    expect(() => parseVwapArgs(['--stdin', '--windw', '1s'])).toThrow(
      /unknown option --windw \(did you mean --window\?\)/,
    );
    expect(() => parseVwapArgs(['--stdin', '--window'])).toThrow(/--window needs a value/);
  });
});
