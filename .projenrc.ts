import * as fs from 'fs';
import { Component, JsonFile, cdk8s, javascript } from 'projen';
import { EQUIVALENT_MUTANTS } from './projenrc/equivalent-mutants';

/**
 * cdk8s-zero-trust: typed, secure-by-default cdk8s constructs for Zero Trust on Kubernetes.
 *
 * This file is the source of truth for package.json, tsconfig*.json, the tasks in
 * .projen/tasks.json and the ignore files. Edit it and run `npx projen`.
 */
const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-zero-trust',
  description: 'Zero Trust for Kubernetes as typed, secure-by-default cdk8s constructs: one intent graph drives NetworkPolicy, Istio mTLS and AuthorizationPolicy.',
  author: 'Seed a285f22e maintainers',
  authorAddress: 'maintainers@users.noreply.b-seed-a285f22e.example',
  repositoryUrl: 'https://github.com/cdk8s-zero-trust/cdk8s-zero-trust.git',
  keywords: ['cdk8s', 'kubernetes', 'zero-trust', 'istio', 'networkpolicy', 'spiffe', 'security'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // jsii targets: the package names each language's users install (publishing needs a release pipeline)
  publishToPypi: { distName: 'cdk8s-zero-trust', module: 'cdk8s_zero_trust' },
  publishToMaven: { javaPackage: 'io.github.cdk8s_zero_trust', mavenGroupId: 'io.github.cdk8s-zero-trust', mavenArtifactId: 'cdk8s-zero-trust' },
  publishToNuget: { dotNetNamespace: 'Cdk8sZeroTrust', packageId: 'Cdk8sZeroTrust' },
  publishToGo: { moduleName: 'github.com/cdk8s-zero-trust/cdk8s-zero-trust-go' },
  // engines: what CI runs (Node 20, end-of-life since April 2026: jsii warns) and newer; see README
  minNodeVersion: '20.9.0',
  // the package ships compiled JavaScript only: no inline source maps (they doubled lib/'s size)
  tsconfig: { compilerOptions: { inlineSourceMap: false, inlineSources: false } },
  jsiiVersion: '~6.0.0',
  // the jsii assembly gzipped (.jsii.gz, with a .jsii that points to it; jsii hosts, pacmak and
  // docgen read both): 0.9 MB less in the package, which must stay under 4 MB unpacked
  compressAssembly: true,

  // peers: users bring their own cdk8s, constructs and cdk8s-plus-27 (one copy in their app)
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.2',
  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  devDeps: [
    // `cdk8s import` (regenerating src/imports) and `cdk8s synth` of the reference architecture
    'cdk8s-cli@^2.207.60',
    // tests: validation of every synthesized object against the Kubernetes and CRD JSON schemas
    'ajv@^8.17.1',
    'yaml@^2.8.1',
    // tests: the CRDs' x-kubernetes-validations (CEL) rules, evaluated as the API server does
    '@bufbuild/cel@0.6.1',
    '@bufbuild/protobuf@2.17.0',
    // tests: adopting workloads of another cdk8s-plus version (what `cdk8s init` scaffolds today)
    'cdk8s-plus-33@^2.5.57',
    // tests: property-based checks over random topologies (mesh modes, waypoints, rollout)
    'fast-check@^4.3.0',
    // tests: every PromQL expression of the alert rules parses with Prometheus' own grammar
    '@prometheus-io/lezer-promql@0.315.0',
    '@lezer/lr@^1.4.2',
    '@lezer/highlight@^1.2.1',
    // tests: TypeScript is stripped by swc (type-checking is its own step: `typecheck`, in the test task)
    '@swc/core@^1.15.0',
    '@swc/jest@^0.2.39',
    // tests: the jest environment that shares compiled schemas between the test files of a worker
    'jest-environment-node@^30',
    // `npm run mutate`: mutation testing of the security core (StrykerJS 9.6 is the last line for Node 20)
    '@stryker-mutator/core@9.6.1',
    '@stryker-mutator/jest-runner@9.6.1',
    // tests: hostile input, property-based (test/hostile): hostile strings for every prop that
    // reaches another language, the artefacts parsed with that language's real grammar
    'fast-check@^4.11.0',
    // tests: Vault policies parsed with HashiCorp's own HCL parser (hashicorp/hcl as WebAssembly)
    '@cdktf/hcl2json@0.21.0',
    // tests: vault/apply.sh tokenized with a real POSIX shell parser (mvdan/sh)
    'mvdan-sh@0.10.1',
  ],

  // the package's commands: `npx cdk8s-zero-trust diff <old> <new>` and `learn <dist> <logs...>`
  bin: { 'cdk8s-zero-trust': 'lib/cli/main.js' },

  // CI is .ci/run (no GitHub and no cluster are reachable from our machines). The one GitHub
  // workflow is the release (.github/workflows/release.yml, generated): on a push to main it
  // bumps the version from the conventional commits, builds, and publishes to npm with the
  // repository secret NPM_TOKEN (only its name is here), and to PyPI, Maven and NuGet with theirs
  github: true,
  githubOptions: { mergify: false, pullRequestLint: false },
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  stale: false,
  release: true,
  releaseToNpm: true,
  // the version bump tool: 13.x needs Node 22; the toolchain here and in the workflow is Node 20
  bumpPackage: 'commit-and-tag-version@^12',
  // the release builds and tests like .ci/run, which reads the pinned CRDs and Kubernetes schemas
  // from ZERO_TRUST_SHARED_DIR: a checkout of the repository named by the repository variable
  // ZERO_TRUST_SHARED_REPOSITORY (no release without it: the step fails and says so)
  releaseWorkflowEnv: { ZERO_TRUST_SHARED_DIR: '${{ github.workspace }}/.shared' },
  releaseWorkflowSetupSteps: [
    {
      name: 'Shared test material (pinned CRDs, Kubernetes schemas)',
      if: "${{ vars.ZERO_TRUST_SHARED_REPOSITORY == '' }}",
      run: 'echo "set the repository variable ZERO_TRUST_SHARED_REPOSITORY (owner/name of the shared crds/ and k8s-schemas/ material)" >&2; exit 1',
    },
    {
      name: 'Check out the shared test material',
      uses: 'actions/checkout@v4',
      with: { repository: '${{ vars.ZERO_TRUST_SHARED_REPOSITORY }}', path: '.shared' },
    },
  ],
  integrationTestAutoDiscover: false,
  // `dist/` is where the reference architecture is synthesized; keep package artifacts apart
  artifactsDirectory: 'dist-pkg',

  jestOptions: {
    // snapshot drift must fail the test task (and CI); accept changes with `npx projen test:update`
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 60_000,
      // two workers on this 2-core machine (jest's default, cores - 1, is one): the suite in
      // about 46 s instead of about 105 s when idle (coordinator, 13:45); each worker compiles the
      // schemas once (test/support/worker-environment.ts)
      maxWorkers: 2,
      // coverage on demand (`npx jest --coverage`): collecting it on every run costs about a third of the suite
      collectCoverage: false,
      // one object per worker shared by its test files: the schema harness's compiled validators
      testEnvironment: '<rootDir>/test/support/worker-environment.ts',
      // generated CRD bindings and test helpers are not what coverage should measure
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/', '/test/'],
      // the end-to-end test (npm pack, a fresh app, the real cdk8s-cli: ~3 min) is its own task
      testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
      // the slowest files start first, on a fresh clone too (test/durations.json; see the file)
      testSequencer: '<rootDir>/projenrc/test-sequencer.js',
      // each module compiled and read once per worker, not once per test file (~0.2 s of CPU per
      // test file; projenrc/test-runtime.js): every file still gets its own module instances
      runtime: '<rootDir>/projenrc/test-runtime.js',
    },
  },
  // the linter reports in the test task, it never rewrites sources there
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'projenrc'], commandOptions: { fix: false } },
});

// Tests: swc strips the types (ts-jest type-checked every test file in every worker: minutes
// and gigabytes). `npm run typecheck` type-checks src, test, examples, bench and projenrc once;
// CI (.ci/run) runs it as its own step, so a type error in a test still fails CI.
project.jest!.config.transform = {
  '^.+\\.[t]sx?$': new javascript.Transform('@swc/jest', {
    jsc: {
      parser: { syntax: 'typescript' },
      target: 'es2022',
      // as tsc emits for target ES2022
      transform: { useDefineForClassFields: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  }),
};
project.deps.removeDependency('ts-jest');

// `require('cdk8s-zero-trust')` loads nothing until an export is read: after jsii, lib/index.js's
// `export *` lines become getters that load their module on first access (projenrc/lazy-index.js;
// the eager index loaded every layer, cdk8s-plus-27, the CRD bindings and the validator: ~0.5 s of
// CPU in every process that requires the package, cdk8s synth's validation plugin included)
project.compileTask.exec('node projenrc/lazy-index.js');
// the runtime type guards' data (src/intent/_guard-spec.generated.ts, committed): the jsii
// assembly's declarations of the public types, so that the guards never read an assembly at run
// time and are the same on the sources (jest), in lib/ and in the installed package; CI's drift
// check after the compile fails when the committed file is stale
project.compileTask.exec('node projenrc/guard-spec.js');
project.eslint?.addIgnorePattern('src/intent/_guard-spec.generated.ts');
project.gitattributes.addAttributes('/src/intent/_guard-spec.generated.ts', 'linguist-generated');
project.addTask('typecheck', {
  description: 'Type-check sources, tests, examples, benchmark and scripts (test/tsconfig.json)',
  exec: 'tsc --noEmit -p test/tsconfig.json',
});

// generated CRD bindings are never hand-edited nor linted
project.eslint?.addIgnorePattern('src/imports/');
project.gitattributes.addAttributes('/src/imports/**', 'linguist-generated');

// examples, the benchmark and the import script run from TypeScript sources (test/tsconfig.json
// extends the jsii tsconfig and covers the whole repository)
// `test:update` accepts snapshot changes; written with `-u` so that a grep for the long flag
// finds it only where it would matter (the `test` task, which must never update snapshots)
project.tasks.tryFind('test:update')?.reset('jest -u --passWithNoTests --ci', { receiveArgs: true });

const tsNode = 'ts-node --transpile-only --project test/tsconfig.json';

project.addTask('import', {
  description: 'Regenerate src/imports from the pinned CRDs (CRD_DIR, default ../shared/crds); see imports/README.md',
  exec: `${tsNode} projenrc/import-crds.ts`,
});
// the stable Falco ruleset's macro, list and rule names (FalcoRuleSet checks references against
// them); generated into src/runtime/_stable-ruleset.ts, so CI's drift check covers it too
project.tasks.tryFind('import')?.exec(`${tsNode} projenrc/import-falco-rules.ts`);
// the compact Kubernetes 1.32/1.35 and CRD schemas the package's validator ships with
// (schemas/*.json.gz, ~90 KB: descriptions dropped, gzipped), from ZERO_TRUST_SHARED_DIR
project.tasks.tryFind('import')?.exec(`${tsNode} projenrc/compact-schemas.ts`);
project.gitattributes.addAttributes('/schemas/*.json.gz', 'binary', 'linguist-generated');

// `npm run synth` runs the example against the compiled library (lib/): it builds lib/ first when
// src/ is newer (projenrc/lib-stale.js), then only the example's own file is transpiled (swc)
const synth = project.addTask('synth', {
  description: 'Synthesize the reference architecture into dist/ (one YAML file per layer chart); compiles lib/ first if src/ changed',
});
synth.spawn(project.compileTask, { condition: 'node projenrc/lib-stale.js' });
synth.exec('node -r ./projenrc/run-ts.js examples/reference-architecture/main.ts');
// the same steps without starting projen's task runner (about 2 s of CPU on every run)
project.package.setScript('synth', 'if node projenrc/lib-stale.js; then projen compile; fi && node -r ./projenrc/run-ts.js examples/reference-architecture/main.ts');

project.addTask('synth:multi-cluster', {
  description: 'Synthesize the multi-cluster example (two clusters, two federated trust domains) into dist/multi-cluster/',
  exec: `${tsNode} examples/multi-cluster/main.ts`,
});

project.addTask('validate', {
  description: 'Validate synthesized YAML (default dist/) against the Kubernetes 1.32/1.35 and pinned CRD schemas',
  exec: `${tsNode} test/support/validate-files.ts`,
  receiveArgs: true,
});

project.addTask('test:e2e', {
  description: 'End to end: a fresh cdk8s app installs the packed library (offline) and runs cdk8s synth, --stdout, --validate and every README block (needs lib/: npx projen compile)',
  exec: 'jest --ci --coverage=false test/e2e --testPathIgnorePatterns=/node_modules/',
});

// CI (.ci/run) generates the Python and Java bindings (code only: no Python, Maven or network
// needed) so that a jsii incompatibility fails CI, not the first release; the Python sources are
// then byte-compiled (a syntax error in generated code fails too). Output: dist-pkg/code-only/
const codeOnly = project.addTask('package:code-only', {
  description: 'Generate the Python and Java bindings (jsii-pacmak --code-only) into dist-pkg/code-only and byte-compile the Python (needs lib/: npx projen compile)',
});
codeOnly.exec('rm -rf dist-pkg/code-only');
codeOnly.exec('jsii-pacmak --code-only --target python --target java --outdir dist-pkg/code-only --no-npmignore --no-fingerprint --force');
codeOnly.exec('python3 -m compileall -q dist-pkg/code-only/python/src');
codeOnly.exec('test -f dist-pkg/code-only/java/pom.xml && test -d dist-pkg/code-only/java/src/main/java/io/github/cdk8s_zero_trust');

project.addTask('bench', {
  description: 'Benchmark: this library vs plain cdk8s-plus-27 on the same topology (last line is JSON)',
  exec: `${tsNode} bench/bench.ts`,
});

// Mutation testing of the security core (not in .ci/run: it takes far longer than the test task).
// Stryker mutates these files one change at a time and runs, per mutant, only the tests that
// cover it; a mutant no test notices ("survived") is behaviour no test pins. See README, Contributing.
const SECURITY_CORE = [
  // intent model and validation
  'src/intent/_validation.ts',
  'src/intent/_call-checks.ts',
  'src/intent/call-intent.ts',
  'src/intent/intent-graph.ts',
  'src/intent/remote-workload.ts',
  'src/enforcement/enforcement-points.ts',
  // NetworkPolicy, AuthorizationPolicy, PeerAuthentication (namespace STRICT, Cilium DISABLE), Cilium and egress renderers
  'src/network/_network-policies.ts',
  'src/mesh/_authorization.ts',
  'src/mesh/mesh-service.ts',
  'src/segmentation/zero-trust-namespace.ts',
  'src/edge/cilium-workload-policy.ts',
  'src/edge/_egress.ts',
  'src/edge/_hosts.ts',
  'src/edge/_paths.ts',
  // policy checks (every engine's rendering of them: Rego, Kyverno and admission CEL)
  'src/policy/_check.ts',
  'src/policy/_checks*.ts',
  'src/policy/_exemptions.ts',
  'src/policy/_rego.ts',
  'src/policy/_cel-literal.ts',
  // Falco rule derivation
  'src/runtime/_falco-condition.ts',
  'src/runtime/zero-trust-falco-rules.ts',
  // Vault role and policy generation
  'src/secrets/vault-role.ts',
  'src/secrets/vault-secret.ts',
];
new JsonFile(project, 'stryker.config.json', {
  obj: {
    $schema: './node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    packageManager: 'npm',
    testRunner: 'jest',
    // per mutant, only the tests that executed the mutated code run (and only test files related to it)
    coverageAnalysis: 'perTest',
    jest: {
      projectType: 'custom',
      enableFindRelatedTests: true,
      // Stryker measures its own coverage; the JUnit report only costs time. Stryker wraps the test
      // environment with plain require(), which cannot load test/support/worker-environment.ts: use
      // Node's (the worker cache is an optimization only, schemas.ts works without it)
      config: { reporters: ['default'], testEnvironment: 'node' },
    },
    mutate: SECURITY_CORE,
    // the per-file table (clear-text), and an HTML report to browse the survivors
    reporters: ['clear-text', 'progress', 'html'],
    htmlReporter: { fileName: 'reports/mutation/mutation.html' },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
    thresholds: { high: 95, low: 90, break: null },
    // the sandbox keeps the compiled jsii assembly (.jsii and .jsii.gz) as a fresh clone has it
    // after a compile (the runtime type guards read src/intent/_guard-spec.generated.ts, not it)
    ignorePatterns: ['/dist', '/dist-pkg', '/dist-files', '/lib', '/coverage', '/test-reports', '/reports', '/tsconfig.tsbuildinfo'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    timeoutMS: 60_000,
    // the dry run of the whole suite with per-test coverage, on a loaded 2-core machine
    dryRunTimeoutMinutes: 30,
    // the equivalent mutants above, for reviewers (Stryker ignores this key)
    equivalentMutants: Object.entries(EQUIVALENT_MUTANTS).flatMap(([file, list]) => list.map(e => ({ file, ...e }))),
    warnings: { unknownOptions: false },
  },
});
project.addTask('mutate', {
  description: 'Mutation testing of the security core with StrykerJS (slow: minutes per file; `npm run mutate -- --mutate src/intent/_validation.ts --tests test/intent --concurrency 1` for one file and its tests)',
  // the tests run in a sandbox copy two folders down: projenrc/mutate.js hands them the shared/
  // folder as an absolute path (a shell `${VAR:-default}` does not survive projen's task runner)
  exec: 'node projenrc/mutate.js',
  receiveArgs: true,
});
project.gitignore.exclude('/.stryker-tmp/', '/reports/');
project.npmignore?.exclude('/stryker.config.json', '/.stryker-tmp/', '/reports/');

// files for systems outside the Kubernetes API (Vault, Helm values), beside dist/ (Synthesis.synth)
project.gitignore.exclude('/dist-pkg/', '/dist-files/');
// the release workflow's checkout of the shared test material
project.gitignore.exclude('/.shared/');
// the compressed jsii assembly (compressAssembly), built like .jsii
project.gitignore.exclude('/.jsii.gz');
// jsii-pacmak appends its outdir to .npmignore unless this exact line is there
// `npm ci` in this repository refuses a Node older than `engines` (consumers get npm's warning)
project.npmrc.addConfig('engine-strict', 'true');
// a tarball from an earlier `npm pack` never goes into the next one
project.npmignore?.exclude('*.tgz');
project.npmignore?.exclude('/examples/', '/bench/', '/imports/', '/.ci/', 'dist-pkg', '/dist-files/', 'cdk8s.yaml');
// the package holds what runs (lib/, the schemas, the jsii assembly) and the README: API.md
// (0.8 MB) is read in the repository; jsii hosts and Construct Hub document from .jsii
project.npmignore?.exclude('/API.md');

// unrs-resolver@1.13.0 (via eslint-import-resolver-typescript) declares 17 optional platform
// bindings that were never published at 1.13.0; npm records them as missing and `npm ci` then
// fails ("Missing: @unrs/resolver-binding-…@ from lock file"). 1.12.2 has all of them. Drop this
// pin once the 1.13.x bindings exist (`npm view @unrs/resolver-binding-android-arm-eabi@1.13.0`).
project.package.addPackageResolutions('unrs-resolver@1.12.2');

// projen's publish jobs download the build artifacts into `dist/` (publib's default folder) but
// then read them from the artifacts directory (`dist-pkg/` here, since dist/ holds the reference
// architecture): point the downloads, the permission restore and each publib command at dist-pkg/
class ReleaseArtifactsDirectory extends Component {
  public postSynthesize(): void {
    const file = '.github/workflows/release.yml';
    let text = fs.readFileSync(file, 'utf8');
    const edits: Array<[RegExp, string, number]> = [
      [/^( {10}path: )dist$/gm, '$1dist-pkg', 6],
      [/cd dist && setfacl/g, 'cd dist-pkg && setfacl', 6],
      ...([['npm', 'js'], ['maven', 'java'], ['pypi', 'python'], ['nuget', 'dotnet'], ['golang', 'go']] as const)
        .map(([tool, dir]): [RegExp, string, number] => [new RegExp(`'publib-${tool}'$`, 'gm'), `'publib-${tool}' dist-pkg/${dir}`, 1]),
    ];
    for (const [pattern, replacement, count] of edits) {
      const found = text.match(pattern)?.length ?? 0;
      if (found !== count) throw new Error(`${file}: expected ${count} match(es) of ${pattern}, found ${found} (projen changed its release workflow: review this patch)`);
      text = text.replace(pattern, replacement);
    }
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, text);
    fs.chmodSync(file, 0o444);
  }
}
new ReleaseArtifactsDirectory(project);

project.synth();
