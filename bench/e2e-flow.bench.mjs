#!/usr/bin/env node
// @ts-check
// End-to-end time of an order, from RxScale's webhook to `completed` at RxScale, and the RxScale calls each
// order took, on the whole stack (the same start code as npm start; simulator on, sandbox limits on).
//   npm run bench -- e2e-flow [--orders 100] [--pack-delay-ms 0]
// Time: from the admin call that creates the order at the sandbox (its pharmacy_order_created webhook
// leaves at once) to the `at` of the `completed` entry of its status history (one machine, one clock). Calls: the sandbox's request log, per order the calls whose
// path names it (detail, status changes, complete_order); SKU calls (stock pushes, SKU syncs) are counted
// for the whole run and divided by N. The last line is the figures as JSON.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueSuffix } from '@rxbridge/testing';
import { startE2EStack } from '../test/e2e/support/stack.mjs';
import { print429s } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
/** @param {string} name @param {number} dflt */
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = arg('orders', 100);
const packDelayMs = arg('pack-delay-ms', 0);
const seed = JSON.parse(readFileSync(join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'), 'utf8'));
// Lines with enough stock for every order of the run, spread over the three pharmacies.
const lines = seed.pharmacy_skus.filter((/** @type {any} */ p) => p.stock >= N);
const byPharmacy = seed.pharmacies.map((/** @type {any} */ ph) =>
  lines.filter((/** @type {any} */ l) => l.pharmacy_uid === ph.uid),
);

/** The sandbox's history `at`: epoch seconds (possibly fractional) or an ISO string. @param {unknown} at */
const toMs = (at) => (typeof at === 'number' ? (at < 1e11 ? at * 1000 : at) : new Date(String(at)).getTime());

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

const s = await startE2EStack({
  name: 'bench',
  simulator: true,
  envOverrides: { simulator: { SIMULATOR_PACK_DELAY_MS: String(packDelayMs), SIMULATOR_POLL_MS: '200' } },
});
let exitCode = 0;
try {
  // The simulator sends the stock at its start; wait until the first pharmacy's stock is in.
  const deadline = Date.now() + 60_000;
  while (!s.logText().includes('[simulator] polling every') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  const requestsBefore = /** @type {any} */ ((await s.admin('/requests?limit=1')).body).total;
  /** @type {{ uid: string, created: number }[]} */
  const orders = [];
  const began = Date.now();
  for (let i = 0; i < N; i++) {
    const pool = byPharmacy[i % byPharmacy.length];
    const line = pool[Math.floor(i / byPharmacy.length) % pool.length];
    const uid = `po-bench-${uniqueSuffix()}`;
    const created = Date.now();
    const r = await s.admin('/orders', {
      method: 'POST',
      body: { uid, pharmacy_uid: line.pharmacy_uid, items: [{ pharmacy_sku_uid: line.uid, amount: 1 }] },
    });
    if (r.status !== 201) throw new Error(`the sandbox refused order ${i}: ${r.status}`);
    orders.push({ uid, created });
  }
  /** @type {Map<string, number>} */
  const done = new Map();
  const waitUntil = Date.now() + Math.max(120_000, N * 3_000);
  while (done.size < N && Date.now() < waitUntil) {
    for (const o of orders) {
      if (done.has(o.uid)) continue;
      const h = /** @type {any} */ ((await s.admin(`/orders/${o.uid}/history`)).body);
      const history = Array.isArray(h) ? h : (h?.status_history ?? []);
      const completed = history.find((/** @type {any} */ e) => e.to === 'completed');
      if (completed) done.set(o.uid, toMs(completed.at) - o.created);
    }
    if (done.size < N) await new Promise((r) => setTimeout(r, 500));
  }
  const log = /** @type {any} */ ((await s.admin('/requests?limit=100000')).body);
  // Oldest first; those before the first order were the start's (SKU sync, stock pushes of the upload).
  const entries = /** @type {any[]} */ (log.entries).slice(requestsBefore);
  const perOrder = orders.map((o) => entries.filter((e) => String(e.path).includes(o.uid)).length);
  const skuCalls = entries.filter((e) => String(e.endpoint ?? e.path).includes('pharmacy_skus')).length;
  const limited = entries.filter((e) => e.status === 429).length;
  print429s('e2e-flow', log.entries);
  const times = [...done.values()];
  const figures = {
    bench: 'e2e-flow',
    orders: N,
    completed: done.size,
    pack_delay_ms: packDelayMs,
    rate_limit: 'on',
    e2e_ms_p50: quantile(times, 0.5),
    e2e_ms_p99: quantile(times, 0.99),
    e2e_ms_max: times.length ? Math.max(...times) : null,
    rxscale_calls_per_order_p50: quantile(perOrder, 0.5),
    rxscale_calls_per_order_max: perOrder.length ? Math.max(...perOrder) : null,
    rxscale_sku_calls_per_order: N ? Math.round((skuCalls / N) * 100) / 100 : null,
    rxscale_429: limited,
    wall_s: Math.round((Date.now() - began) / 100) / 10,
    met: done.size === N,
  };
  if (!figures.met) exitCode = 1;
  console.log(JSON.stringify(figures));
} finally {
  await s.stop();
}
process.exit(exitCode);
