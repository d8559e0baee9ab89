/**
 * The jest test environment of this repository: Node's, plus one object per jest worker process
 * that every test file run by that worker sees as `globalThis.__zeroTrustWorkerCache`.
 *
 * Jest gives each test file a fresh module registry, so a module-level cache lives for one file
 * only. The schema harness (`schemas.ts`) compiles JSON schemas of megabytes (Kubernetes core,
 * CRDs); keeping its compiled validators in this per-worker object compiles each schema once per
 * worker instead of once per test file. Only pure, input-keyed caches belong here: nothing a test
 * asserts may depend on what an earlier file left in it.
 */
import * as v8 from 'v8';
import * as vm from 'vm';
import { TestEnvironment } from 'jest-environment-node';

/** Lives as long as the worker process: this module is loaded once per worker, outside the test registry. */
const WORKER_CACHE = new Map<string, unknown>();

/**
 * Above this much heap in use after a test file, the worker collects its garbage before the next
 * file. What a file keeps alive is small (~100-150 MB: the modules and the compiled schemas), but
 * V8 lets a worker's heap grow far past it before a full collection (the machine has memory to
 * spare): two workers reached 0.9 GB each. Collecting here, rarely, keeps the suite's peak memory
 * near what it uses, for a few hundred milliseconds of CPU per collection.
 */
const COLLECT_ABOVE_BYTES = 320 * 1024 * 1024;

/** V8's full garbage collection, without starting the worker with --expose-gc. */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

export default class WorkerEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    this.global.__zeroTrustWorkerCache = WORKER_CACHE;
  }

  public async teardown(): Promise<void> {
    await super.teardown();
    if (process.memoryUsage().heapUsed > COLLECT_ABOVE_BYTES) collectGarbage();
  }
}
