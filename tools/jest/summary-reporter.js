// Appends each Jest run's totals to the file named by RXBRIDGE_TEST_SUMMARY, so `npm test` can close
// with one line for the whole workspace ("N passed, N failed, N skipped").
import { appendFileSync } from 'node:fs';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.RXBRIDGE_TEST_SUMMARY;
    if (!file) return;
    const line = {
      cwd: process.cwd(),
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }
}
