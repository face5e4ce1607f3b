// The closing note's measurement (bench/e2e-flow.bench.mjs) in its short mode: a few orders through the
// whole stack with the simulator and the sandbox's limits on; every order completes, and the figures line
// says how long and how many RxScale calls each took.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

it('bench e2e-flow with 5 orders: every order completed, figures printed as one JSON line', () => {
  const r = spawnSync(process.execPath, [join(root, 'bench', 'e2e-flow.bench.mjs'), '--orders', '5'], {
    cwd: root,
    env: process.env,
    encoding: 'utf8',
    timeout: 240_000,
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  expect({ status: r.status, last }).toMatchObject({ status: 0 });
  const figures = JSON.parse(last);
  expect(figures).toMatchObject({ bench: 'e2e-flow', orders: 5, completed: 5, met: true });
  expect(figures.e2e_ms_p50).toBeGreaterThan(0);
  expect(figures.e2e_ms_p99).toBeGreaterThanOrEqual(figures.e2e_ms_p50);
  // Detail, in-progress (and pending review), ready_for_pickup, complete_order at least.
  expect(figures.rxscale_calls_per_order_p50).toBeGreaterThanOrEqual(3);
}, 300_000);
