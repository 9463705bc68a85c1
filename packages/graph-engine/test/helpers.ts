// Helpers shared by the graph-engine tests (the generic and the numeric path's).
import { type Graph, StabilizeError } from '../src/index.ts';

/** Wraps a function so the test can count how often the engine calls it. */
export function counted<A extends unknown[], R>(f: (...a: A) => R): ((...a: A) => R) & { calls: number } {
  const g = ((...a: A) => {
    g.calls++;
    return f(...a);
  }) as ((...a: A) => R) & { calls: number };
  g.calls = 0;
  return g;
}

/** The StabilizeError a stabilization throws; fails when it throws nothing or something else. */
export function stabilizeErrors(g: Graph): StabilizeError {
  try {
    g.stabilize();
  } catch (e) {
    if (e instanceof StabilizeError) return e;
    throw e;
  }
  throw new Error('expected stabilize to throw');
}
