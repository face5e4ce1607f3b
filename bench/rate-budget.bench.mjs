// @ts-check
// The fleet-wide RxScale rate budget under demand above the limit: three clients (as three services),
// each with its own PostgreSQL pool and budget sharing one bucket, call the sandbox (rate limit on, 10/s
// and 600/min) back to back for N seconds. Figures: calls made per second (target >= 9.5 of the 10
// allowed) and 429s seen (target 0), from the sandbox's own counters.
// Usage: npm run bench -- rate-budget [seconds=60]
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresRateBudget, RxScaleClient } from '@rxbridge/rxscale-client';
import { startSandbox } from '@rxbridge/rxscale-sandbox';
import { report } from './report.mjs';

const seconds = Number(process.argv[2] ?? 60);
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('usage: rate-budget [seconds > 0]');
const callersPerClient = 4;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rxbridge';
const schema = `rxscale_budget_bench_${randomBytes(4).toString('hex')}`;

const sandbox = await startSandbox({ port: 0, rateLimit: true });
/** @param {string} path @param {unknown} body */
async function admin(path, body) {
  const res = await fetch(`${sandbox.adminUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
await admin('/pharmacies', { uid: 'ph-bench', display_name: 'Bench-Apotheke' });
const { key } = await admin('/api-keys', { name: 'bench', pharmacy_uid: 'ph-bench', permissions: ['stock_read'] });

const pools = [];
const budgets = [];
const clients = [];
for (let i = 0; i < 3; i++) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const budget = await PostgresRateBudget.create({ pool, schema, bucket: 'bench' });
  pools.push(pool);
  budgets.push(budget);
  clients.push(new RxScaleClient({ baseUrl: sandbox.url, apiKey: key, budget }));
}

/** @type {Array<'order-status' | 'stock-push' | 'reconciliation'>} */
const priorities = ['order-status', 'stock-push', 'reconciliation'];
let ok = 0;
let failed = 0;
const started = performance.now();
const until = started + seconds * 1000;
await Promise.all(
  clients.flatMap((client, i) =>
    Array.from({ length: callersPerClient }, async () => {
      while (performance.now() < until) {
        try {
          await client.listPharmacySkus({ limit: 1 }, { priority: priorities[i] });
          ok++;
        } catch {
          failed++;
        }
      }
    }),
  ),
);
const elapsed = (performance.now() - started) / 1000;
const stats = await admin('/rate-limit');
const keyStats = Object.values(stats.keys)[0] ?? { allowed: 0, limited: 0, maxPerSecond: 0, maxPerMinute: 0 };

await Promise.all(budgets.map((b) => b.close()));
const cleanup = pools[0];
await cleanup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await Promise.all(pools.map((p) => p.end()));
await sandbox.close();

report(
  'rate-budget',
  {
    seconds: Math.round(elapsed * 10) / 10,
    calls: ok,
    failedCalls: failed,
    callsPerSecond: Math.round((ok / elapsed) * 100) / 100,
    sandbox429: keyStats.limited,
    sandboxMaxInAnySecond: keyStats.maxPerSecond,
    sandboxMaxInAnyMinute: keyStats.maxPerMinute,
  },
  {
    throughput: { figure: 'callsPerSecond', atLeast: 9.5 },
    no429: { figure: 'sandbox429', atMost: 0 },
    perSecondLimit: { figure: 'sandboxMaxInAnySecond', atMost: 10 },
    perMinuteLimit: { figure: 'sandboxMaxInAnyMinute', atMost: 600 },
  },
  { clients: 3, callersPerClient, limits: { perSecond: 10, perMinute: 600, marginMs: 25, jitterMs: 10 }, endpoint: 'GET /pharmacy_skus/' },
);
