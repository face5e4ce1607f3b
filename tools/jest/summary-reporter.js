// Appends each Jest run's totals to the file named by RXBRIDGE_TEST_SUMMARY, so `npm test` can close
// with one line for the whole workspace ("N passed, N failed, N skipped") and, under it, every failed
// test by file and name with the head of its message: CI shows only the end of a run's output.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';

const MESSAGE_LINES = 12;

/** The first lines of a failure message, without the terminal's colour codes. */
function head(message) {
  return (
    String(message)
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .slice(0, MESSAGE_LINES)
      .join('\n')
  );
}

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.RXBRIDGE_TEST_SUMMARY;
    if (!file) return;
    const failures = [];
    for (const suite of results.testResults) {
      const path = relative(process.cwd(), suite.testFilePath);
      if (suite.testExecError)
        failures.push({ path, name: '(suite failed to run)', message: head(suite.testExecError.message) });
      for (const test of suite.testResults) {
        if (test.status === 'failed')
          failures.push({ path, name: test.fullName, message: head(test.failureMessages.join('\n')) });
      }
    }
    const line = {
      cwd: process.cwd(),
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failures,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }
}
