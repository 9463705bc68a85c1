import { describe, expect, it } from 'vitest';
import { BackpressureMeter } from '../src/backpressure-meter.ts';

describe('backpressure level', () => {
  it('is the fraction of the window spent waiting for the sink', () => {
    const b = new BackpressureMeter(1000);
    expect(b.level(5000)).toBe(0);
    b.begin(5000);
    b.end(5250);
    expect(b.level(5500)).toBeCloseTo(0.25);
    b.begin(5600);
    expect(b.level(5800)).toBeCloseTo(0.45); // an ongoing wait counts
    b.end(5900);
    // 6100: window [5100, 6100] holds 150 ms of the first wait and 300 of the second.
    expect(b.level(6100)).toBeCloseTo(0.45);
    expect(b.level(8000)).toBe(0); // both out of the window
  });

  it('is 1 while a hung sink is awaited for a whole window', () => {
    const b = new BackpressureMeter(1000);
    b.begin(0);
    expect(b.level(3000)).toBe(1);
    b.end(3000);
    b.begin(3000); // begin twice keeps the first start
    b.begin(3500);
    expect(b.level(4000)).toBe(1);
  });
});
