// Writes src/intent/_guard-spec.generated.ts: the declarations the runtime type guards
// (src/intent/_guards.ts) check public entries against, extracted from the jsii assembly that
// `jsii` just wrote (run by the compile task, after jsii). The guards never read an assembly at
// run time, so they are the same under ts-node/jest on the sources, in lib/ and in the installed
// package, with or without a compiled `.jsii` around.
//
// Kept: this library's types (initializer and method parameters with their types, struct
// properties with their types, the names of class/interface members, enum members), plus the
// dependencies' types they reach (cdk8s, constructs, cdk8s-plus: bases, interfaces, struct
// properties), each reduced to what the guards read. Documentation and source locations are
// dropped.
//
// The file is committed: CI's drift check fails when it is stale (compile rewrites it), and
// test/intent/guard-spec.test.ts compares it with the compiled assembly when one is there. When the
// file changes, lib/'s compiled copy is rewritten too, so lib/ never runs with the old data.
//
// `node projenrc/guard-spec.js --check` writes nothing and exits 1 when the file is stale.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..');
const PACKAGE = 'cdk8s-zero-trust';
const TARGET = path.join(ROOT, 'src', 'intent', '_guard-spec.generated.ts');
const COMPILED = path.join(ROOT, 'lib', 'intent', '_guard-spec.generated.js');

/** A jsii assembly's types, following jsii's compressed-assembly redirect (`.jsii` naming `.jsii.gz`). */
function readTypes(dir) {
  const file = path.join(dir, '.jsii');
  let json = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (json.schema === 'jsii/file-redirect') {
    const target = fs.readFileSync(path.join(dir, json.filename));
    json = JSON.parse((json.compression === 'gzip' ? zlib.gunzipSync(target) : target).toString('utf8'));
  }
  return json.types ?? {};
}

const assemblies = new Map();
function typesOf(pkg) {
  if (!assemblies.has(pkg)) {
    assemblies.set(pkg, pkg === PACKAGE ? readTypes(ROOT) : readTypes(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [ROOT] }))));
  }
  return assemblies.get(pkg);
}
function packageOf(fqn) {
  return fqn.startsWith('@') ? fqn.slice(0, fqn.indexOf('.', fqn.indexOf('/'))) : fqn.slice(0, fqn.indexOf('.'));
}
function lookup(fqn) {
  const t = typesOf(packageOf(fqn))[fqn];
  if (!t) throw new Error(`guard-spec: ${fqn} is referenced but not in its package's jsii assembly`);
  return t;
}

/** A type reference, as the guards read it. */
function typeRef(ref, reached) {
  if (ref.primitive !== undefined) return { primitive: ref.primitive };
  if (ref.fqn !== undefined) {
    reached.add(ref.fqn);
    return { fqn: ref.fqn };
  }
  if (ref.collection) return { collection: { kind: ref.collection.kind, elementtype: typeRef(ref.collection.elementtype, reached) } };
  if (ref.union) return { union: { types: ref.union.types.map(t => typeRef(t, reached)) } };
  throw new Error(`guard-spec: unknown type reference ${JSON.stringify(ref)}`);
}

/** Drops undefined and false flags (a smaller, stable file). */
function compact(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== false));
}

function parameters(params, reached) {
  return (params ?? []).map(p => compact({ name: p.name, type: typeRef(p.type, reached), optional: p.optional, variadic: p.variadic }));
}

/** One type reduced to what src/intent/_guards.ts reads; `own`: this library's (parameters kept). */
function reduce(fqn, reached) {
  const t = lookup(fqn);
  const own = packageOf(fqn) === PACKAGE;
  const links = [...(t.base ? [t.base] : []), ...(t.interfaces ?? [])];
  links.forEach(l => reached.add(l));
  if (t.kind === 'enum') return { kind: 'enum', name: t.name, members: (t.members ?? []).map(m => ({ name: m.name })) };
  if (t.kind === 'interface' && t.datatype) {
    return compact({
      kind: 'interface', name: t.name, datatype: true, interfaces: t.interfaces,
      properties: (t.properties ?? []).map(p => compact({ name: p.name, type: typeRef(p.type, reached), optional: p.optional })),
    });
  }
  return compact({
    kind: t.kind,
    name: t.name,
    abstract: t.abstract,
    base: t.base,
    interfaces: t.interfaces,
    initializer: t.initializer ? compact({ parameters: own ? parameters(t.initializer.parameters, reached) : undefined }) : undefined,
    properties: (t.properties ?? []).map(p => compact({ name: p.name, optional: p.optional, static: p.static, protected: p.protected })),
    methods: (t.methods ?? []).map(m => compact({
      name: m.name, static: m.static, protected: m.protected,
      parameters: own && m.parameters ? parameters(m.parameters, reached) : undefined,
    })),
  });
}

function spec() {
  const out = {};
  const reached = new Set(Object.keys(typesOf(PACKAGE)));
  const queue = [...reached];
  while (queue.length > 0) {
    const fqn = queue.shift();
    const before = new Set(reached);
    out[fqn] = reduce(fqn, reached);
    for (const r of reached) if (!before.has(r)) queue.push(r);
  }
  return Object.fromEntries(Object.keys(out).sort().map(k => [k, out[k]]));
}

function render(data) {
  const lines = Object.entries(data).map(([fqn, t]) => `  ${JSON.stringify(fqn)}: ${JSON.stringify(t)},`);
  return [
    '// ~~ Generated by projenrc/guard-spec.js from the jsii assembly (npx projen compile). Do not edit.',
    '// The declarations the runtime type guards (_guards.ts) check public entries against.',
    "import type { GuardTypes } from './_guard-types';",
    '',
    'export const GUARD_SPEC: GuardTypes = {',
    ...lines,
    '};',
    '',
  ].join('\n');
}

const data = spec();
const text = render(data);
const current = fs.existsSync(TARGET) ? fs.readFileSync(TARGET, 'utf8') : '';
if (process.argv.includes('--check')) {
  if (text !== current) {
    console.error(`${path.relative(ROOT, TARGET)} is stale: run npx projen compile and commit it`);
    process.exit(1);
  }
} else if (text !== current) {
  // written only when it changes: src/ stays older than lib/ (projenrc/lib-stale.js) otherwise
  fs.writeFileSync(TARGET, text);
  // as old as the assembly it comes from: not a source change that makes lib/ look stale
  const built = fs.statSync(path.join(ROOT, '.jsii'));
  fs.utimesSync(TARGET, built.atime, built.mtime);
  if (fs.existsSync(path.dirname(COMPILED))) {
    const ts = require('typescript');
    const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    fs.writeFileSync(COMPILED, js);
  }
  console.log(`${path.relative(ROOT, TARGET)}: ${Object.keys(data).length} types`);
}
