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
import { TestEnvironment } from 'jest-environment-node';

/** Lives as long as the worker process: this module is loaded once per worker, outside the test registry. */
const WORKER_CACHE = new Map<string, unknown>();

export default class WorkerEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    this.global.__zeroTrustWorkerCache = WORKER_CACHE;
  }
}
