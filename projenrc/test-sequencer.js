// The order jest starts the test files in (jest config `testSequencer`, set in .projenrc.ts).
//
// With two workers, the suite's wall time is set by the file that starts last and runs longest:
// jest's own sequencer runs the slowest files first only when its cache (in its cacheDirectory)
// holds the durations of an earlier run on this machine; on a fresh clone (CI) it orders by file
// size, and a short file that synthesizes the reference architecture three times starts last.
// Here, a file without a cached duration gets the one recorded in test/durations.json (seconds,
// from `node projenrc/test-durations.js <jest --json output>`), so the slow files start first on
// a fresh clone too. A file in neither (a new one) counts as a typical file (3 s): jest's own order
// would start every file without a timing before all others, the slowest ones behind them.
const path = require('path');
// jest's documented base class for custom sequencers (a dependency of jest itself)
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = path.join(__dirname, '..');
const TYPICAL_SECONDS = 3;
let recorded;
function recordedSeconds(file) {
  if (recorded === undefined) {
    try {
      recorded = require(path.join(ROOT, 'test', 'durations.json'));
    } catch {
      recorded = {};
    }
  }
  return recorded[path.relative(ROOT, file).split(path.sep).join('/')];
}

class DurationSequencer extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    return (recordedSeconds(test.path) ?? TYPICAL_SECONDS) * 1000;
  }
}

module.exports = DurationSequencer;
