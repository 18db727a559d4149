// The bench object of the Chromium benchmark (scripts/bench/chromium.mjs),
// the same in the page (window.bench, chromium.html) and in its dedicated
// Worker (chromium-worker.js): one round of a workload of
// chromium-workloads.mjs with one implementation, timed.
import { prepare, STEPS } from './chromium-workloads.mjs';

/**
 * libs: { mx, Olm, rust }; before: another loaded build of mxcrypto
 * (BENCH_BEFORE_DIST), added to every workload as implementation "before".
 */
export function benchOf(libs, before) {
  if (before) for (const impls of Object.values(prepare)) impls.before = (l, n) => impls.mxcrypto({ ...l, mx: before }, n);
  return {
    workloads: Object.fromEntries(Object.entries(prepare).map(([w, impls]) => [w, Object.keys(impls)])),
    /** Ops per second of one round of workload w with implementation impl. */
    async round(w, impl) {
      await this.prepare(w, impl);
      return this.runPrepared();
    },
    /** prepare then runPrepared: one round in two steps (profiling times only the run). */
    async prepare(w, impl) { this.prepared = { n: STEPS[w], run: await prepare[w][impl](libs, STEPS[w]) }; },
    async runPrepared() {
      const { n, run } = this.prepared;
      this.prepared = null;
      const t = performance.now();
      await run();
      return n / ((performance.now() - t) / 1000);
    },
  };
}
