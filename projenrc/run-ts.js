// Runs a TypeScript entry point (an example) with Node: `node -r ./projenrc/run-ts.js file.ts`.
// Only the .ts files it loads are transpiled (by swc, types stripped, not checked: `npm run
// typecheck` does that); the library comes compiled from lib/ (`npx projen compile`), so a
// synthesis starts in a fraction of a second instead of compiling the sources with ts-node.
const fs = require('fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022', transform: { useDefineForClassFields: true } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
