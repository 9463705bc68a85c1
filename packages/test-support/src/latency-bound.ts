import { availableParallelism, loadavg } from 'node:os';

/**
 * A latency bound for a test that times requests on a shared machine: `baseMs`
 * while the machine has a core per runnable process, scaled by the run queue
 * per core when it is oversubscribed — with L runnable processes per core a
 * request waits up to L time slices for a core on either side of the socket,
 * whatever the process under test does (CI beside agents reached load 20-30 on
 * 2 cores: single requests of 150-370 ms to an idle HTTP endpoint). A process
 * that blocks its event loop still fails: its stall adds to every request.
 * `why` names the bound, the load and the cores for the assertion message.
 */
export function latencyBoundMs(baseMs: number): { bound: number; why: string } {
  const load1 = loadavg()[0] ?? 0;
  const cores = availableParallelism();
  const bound = baseMs * Math.max(1, load1 / cores);
  return {
    bound,
    why: `bound ${Math.round(bound)} ms = ${baseMs} ms x max(1, load ${load1.toFixed(1)} / ${cores} cores)`,
  };
}
