import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the test summary reporter', () => {
  it('records the totals and each failed test by file and name, with the head of its message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-reporter-'));
    writeFileSync(
      join(dir, 'sample.spec.js'),
      [
        "test('passes', () => expect(1).toBe(1));",
        "test.skip('is skipped', () => undefined);",
        "describe('a part', () => { test('fails', () => expect('left').toBe('right')); });",
      ].join('\n'),
    );
    writeFileSync(join(dir, 'broken.spec.js'), 'this is not javascript (');
    writeFileSync(
      join(dir, 'jest.config.json'),
      JSON.stringify({ reporters: [join(root, 'tools', 'jest', 'summary-reporter.js')] }),
    );
    const summary = join(dir, 'summary.jsonl');
    const run = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', join(dir, 'jest.config.json')],
      {
        cwd: dir,
        env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '1', RXBRIDGE_TEST_SUMMARY: summary },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    const [line] = readFileSync(summary, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line).toMatchObject({ passed: 1, failed: 2, skipped: 1 });
    const byName = Object.fromEntries(line.failures.map((f) => [`${f.path} › ${f.name}`, f.message]));
    expect(Object.keys(byName).sort()).toEqual([
      'broken.spec.js › (suite failed to run)',
      'sample.spec.js › a part fails',
    ]);
    expect(byName['sample.spec.js › a part fails']).toContain('"right"');
    expect(byName['sample.spec.js › a part fails']).not.toContain('\u001b[');
    expect(byName['sample.spec.js › a part fails'].split('\n').length).toBeLessThanOrEqual(12);
  });
});
