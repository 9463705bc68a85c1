// Shared helpers for the benchmarks under bench/ (not a suite: scripts/bench.ts skips `_` files).
import { cpus, totalmem } from 'node:os';

export { xorshift } from '@ripple/trades';

export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

/** Heap in use after full garbage collections (needs node --expose-gc, which `pnpm bench` passes). */
export function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run benchmarks through `pnpm bench` (needs --expose-gc)');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

export function machine(): { cpu: string; cores: number; mem_gib: number; node: string } {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    mem_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Print the result object; with --json it is the last line of stdout, alone. */
export function printResult(result: object, json: boolean): void {
  if (!json) console.log('');
  console.log(JSON.stringify(result));
}
