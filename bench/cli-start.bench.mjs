// @ts-check
// The operations CLI's start: wall time of `rxbridge --help`, `rxbridge tokens create` and a usage error, each
// a fresh `node` process (median of n runs), beside a bare `node -e 0` for the machine's floor. None of them
// touches Kafka, PostgreSQL or RxScale. Run it on an idle core: the figure is wall time.
// Usage: npm run bench -- cli-start [runs=15] [path of the CLI's main.js, to compare another build]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { report } from './report.mjs';

const runs = Number(process.argv[2] ?? 15);
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: cli-start [runs >= 1] [main.js]');
const main = process.argv[3] ?? fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));

/** @param {string[]} args @param {number} expectedCode */
function medianMs(args, expectedCode) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    times.push(performance.now() - started);
    if (r.status !== expectedCode)
      throw new Error(`${args.slice(1).join(' ')} exited ${r.status}, not ${expectedCode}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] ?? NaN);
}

const figures = {
  nodeBareMs: medianMs(['-e', '0'], 0),
  helpMs: medianMs([main, '--help'], 0),
  tokensCreateMs: medianMs([main, 'tokens', 'create', '--name', 'bench', '--scopes', 'operator'], 0),
  usageErrorMs: medianMs([main, 'no-such-command'], 2),
};
report(
  'cli-start',
  figures,
  {
    help: { figure: 'helpMs', atMost: 400 },
    tokensCreate: { figure: 'tokensCreateMs', atMost: 400 },
    usageError: { figure: 'usageErrorMs', atMost: 400 },
  },
  { runs, main },
);
