// Exits 0 when lib/ must be (re)built: no jsii assembly (.jsii) yet, or a file under src/ newer
// than it. Used as the condition of the compile step of `npm run synth`.
const fs = require('fs');
const path = require('path');

const mtime = f => { try { return fs.statSync(f).mtimeMs; } catch { return 0; } };
const files = d => fs.readdirSync(d, { withFileTypes: true })
  .flatMap(e => (e.isDirectory() ? files(path.join(d, e.name)) : [path.join(d, e.name)]));
const built = Math.min(mtime('.jsii'), mtime(path.join('lib', 'index.js')));
process.exit(built === 0 || files('src').some(f => mtime(f) > built) ? 0 : 1);
