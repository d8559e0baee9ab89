// jest's module runtime (jest config `runtime`, set in .projenrc.ts), compiling each module once
// per jest worker instead of once per test file.
//
// Jest gives every test file a fresh module registry and compiles every module it loads again
// with `vm.compileFunction`, which V8's compilation cache never serves: a test file that imports
// the library compiled about 0.35 s of JavaScript (cdk8s-plus-27, cdk8s, the library) before its
// first test, 98 files times over. Here a module is compiled once per worker into a `vm.Script`
// (the module wrapped in the same function jest builds: same parameters, same line numbers) and
// that script runs in each test file's context: every test file still gets its own module
// instances, evaluated in its own context (nothing is shared but V8's compiled code, keyed by the
// module's file name and exact transformed source). Jest's own compile still handles code that
// may use `import()` (it needs jest's per-file dynamic import callback), code that does not
// compile as a function body, and coverage runs.
const fs = require('fs');
const vm = require('vm');
const Runtime = require('jest-runtime').default;

/** filename -> the script compiled from `code` with `parameters` (lives as long as the worker). */
const SCRIPTS = new Map();
/** filename -> its contents when it had this mtime and size (jest reads every module again per test file). */
const FILES = new Map();
/** `import(` or `import /* comment *\/ (`: code that might import dynamically. */
const DYNAMIC_IMPORT = /\bimport\s*[(/]/;

class CompileOnceRuntime extends Runtime {
  constructor(config, environment, resolver, transformer, cacheFS, coverageOptions, ...rest) {
    super(config, environment, resolver, transformer, cacheFS, coverageOptions, ...rest);
    if (coverageOptions.collectCoverage) return;
    readEachFileOnce(this.fileCache);
    const executor = this.executor;
    const jestCompile = executor.compile.bind(executor);
    const parameters = executor.injectedModuleParameters.join(', ');
    executor.compile = (code, filename) => {
      const context = environment.getVmContext();
      if (context == null) return null;
      let entry = SCRIPTS.get(filename);
      if (entry === undefined || entry.code !== code || entry.parameters !== parameters) {
        let script = null;
        if (!DYNAMIC_IMPORT.test(code)) {
          try {
            // the wrapper on a line of its own, counted as line 0: the module's lines keep their numbers
            script = new vm.Script(`(function (${parameters}) {\n${code}\n})`, { filename, lineOffset: -1 });
          } catch {
            // not a function body (e.g. ES module syntax): jest's compile reports it as jest does
          }
        }
        entry = { code, parameters, script };
        SCRIPTS.set(filename, entry);
      }
      return entry.script === null ? jestCompile(code, filename) : entry.script.runInContext(context);
    };
  }
}

/**
 * Makes jest's per-test-file `FileCache` read a file from disk only when the worker has not read
 * it before or it changed since (another mtime or size); the transformed code jest caches per
 * worker already, keyed by file name and mtime, but it reads every module's source again for each
 * test file before looking that cache up.
 */
function readEachFileOnce(fileCache) {
  const read = filename => {
    const stat = fs.statSync(filename, { throwIfNoEntry: false });
    if (stat === undefined) return undefined;
    let entry = FILES.get(filename);
    if (entry === undefined || entry.mtimeMs !== stat.mtimeMs || entry.size !== stat.size) {
      entry = { mtimeMs: stat.mtimeMs, size: stat.size, buffer: fs.readFileSync(filename), string: undefined };
      FILES.set(filename, entry);
    }
    return entry;
  };
  const jestReadFile = fileCache.readFile.bind(fileCache);
  const jestReadFileBuffer = fileCache.readFileBuffer.bind(fileCache);
  fileCache.readFile = filename => {
    const known = fileCache.strings.get(filename);
    if (known !== undefined) return known;
    const entry = read(filename);
    if (entry === undefined) return jestReadFile(filename);
    entry.string ??= entry.buffer.toString();
    fileCache.strings.set(filename, entry.string);
    return entry.string;
  };
  fileCache.readFileBuffer = filename => {
    const known = fileCache.buffers.get(filename);
    if (known !== undefined) return known;
    const entry = read(filename);
    if (entry === undefined) return jestReadFileBuffer(filename);
    fileCache.buffers.set(filename, entry.buffer);
    return entry.buffer;
  };
}

module.exports = CompileOnceRuntime;
module.exports.default = CompileOnceRuntime;
