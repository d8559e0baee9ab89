// Writes test/durations.json (read by projenrc/test-sequencer.js): each test file's duration in
// seconds, from the report of a whole run: `npx jest --ci --json --outputFile=/tmp/jest.json`,
// then `node projenrc/test-durations.js /tmp/jest.json`. Only the order matters (slowest first),
// so a run on a loaded machine serves as well as one on an idle machine.
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const report = process.argv[2];
if (!report) {
  console.error('usage: node projenrc/test-durations.js <jest --json report>');
  process.exit(2);
}
const results = JSON.parse(fs.readFileSync(report, 'utf8')).testResults;
// the file's path in the repository, wherever the run's checkout was
const relative = file => /(?:^|\/)((?:src|test|projenrc)\/.*)$/.exec(file.split(path.sep).join('/'))[1];
const durations = Object.fromEntries(results
  .map(r => [relative(r.name), Math.round((r.endTime - r.startTime) / 100) / 10])
  .sort(([a], [b]) => (a < b ? -1 : 1)));
fs.writeFileSync(path.join(ROOT, 'test', 'durations.json'), `${JSON.stringify(durations, null, 2)}\n`);
console.log(`test/durations.json: ${results.length} files`);
