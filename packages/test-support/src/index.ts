/**
 * @ripple/test-support — shared test and benchmark support: what more than one
 * package's tests, the integration suites (tests/) and the benchmarks (bench/)
 * need, behind one public entry, so none of them imports another package's
 * test/ files. Never a dependency of production code (only devDependencies).
 *
 * - `oracle`: the independent VWAP oracle (final value of every symbol and
 *   window, and the late count) computed from the input trades alone.
 * - `ContractConsumer`: a consumer of a job's output written only from
 *   docs/consumer-contract.md (drop by sequence, keep the last value).
 */
export { ContractConsumer } from './contract-consumer.ts';
export { latencyBoundMs } from './latency-bound.ts';
export { oracle, type WindowValue } from './vwap-oracle.ts';
