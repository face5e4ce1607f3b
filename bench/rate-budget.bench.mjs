// @ts-check
// The fleet-wide RxScale rate budget under demand above the limit: three clients, each in its own process
// with its own PostgreSQL pool and budget (as three services would be), share one bucket and call the
// sandbox (rate limit on: 10/s and 600/min, in this process) back to back for N seconds. Figures: calls
// made per second (target >= 9.5 of the 10 allowed) and 429s seen (target 0), from the sandbox's counters.
// Usage: npm run bench -- rate-budget [seconds=60]
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PostgresRateBudget, RxScaleClient, resolveRateLimits } from '@rxbridge/rxscale-client';
import { startSandbox } from '@rxbridge/rxscale-sandbox';
import { report } from './report.mjs';
import { databaseUrl } from '@rxbridge/testing';

const callersPerClient = 4;

if (process.argv[2] === '--client') {
  await runClient(JSON.parse(process.argv[3] ?? '{}'));
} else {
  await main();
}

/** One service: its own pool and budget, `callersPerClient` callers back to back until the time is up. */
async function runClient(
  /** @type {{ url: string, key: string, schema: string, priority: any, start: number, until: number, limits: object }} */ args,
) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const budget = await PostgresRateBudget.create({
    pool,
    schema: args.schema,
    bucket: 'bench',
    ...args.limits,
  });
  const client = new RxScaleClient({ baseUrl: args.url, apiKey: args.key, budget });
  // A service is long-running: open its connections and warm its code paths before the measured interval
  // (one call per caller, through the budget like every other).
  await Promise.all(
    Array.from({ length: callersPerClient }, () => client.health({ priority: args.priority })),
  );
  // All three start together, so the figures cover exactly the measured interval.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, args.start - Date.now())));
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: callersPerClient }, async () => {
      while (Date.now() < args.until) {
        try {
          await client.listPharmacySkus({ limit: 1 }, { priority: args.priority });
          ok++;
        } catch {
          failed++;
        }
      }
    }),
  );
  await budget.close();
  await pool.end();
  process.send?.({ ok, failed });
}

async function main() {
  const seconds = Number(process.argv[2] ?? 60);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error('usage: rate-budget [seconds > 0] [marginMs] [jitterMs]');
  // Optional overrides of the budget's defaults, to explore the margin/throughput trade-off.
  /** @type {Record<string, number>} */
  const limits = {};
  if (process.argv[3] !== undefined) limits.marginMs = Number(process.argv[3]);
  if (process.argv[4] !== undefined) limits.jitterMs = Number(process.argv[4]);
  const schema = `rxscale_budget_bench_${randomBytes(4).toString('hex')}`;
  const sandbox = await startSandbox({ port: 0, rateLimit: true });
  /** @param {string} path @param {unknown} [body] */
  const admin = async (path, body) => {
    const res = await fetch(`${sandbox.adminUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await admin('/pharmacies', { uid: 'ph-bench', display_name: 'Bench-Apotheke' });
  const { key } = await admin('/api-keys', {
    name: 'bench',
    pharmacy_uid: 'ph-bench',
    permissions: ['stock_read'],
  });
  // Create the schema once before the clients start, so their start-up is not part of the figures.
  const setupPool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await (await PostgresRateBudget.create({ pool: setupPool, schema, bucket: 'bench' })).close();

  const started = Date.now() + 4000; // time for the children to start, connect and warm up
  const until = started + seconds * 1000;
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    ['order-status', 'stock-push', 'reconciliation'].map(
      (priority) =>
        new Promise((resolve, reject) => {
          const child = fork(self, [
            '--client',
            JSON.stringify({ url: sandbox.url, key, schema, priority, start: started, until, limits }),
          ]);
          let result;
          child.on('message', (m) => (result = m));
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 && result ? resolve(result) : reject(new Error(`client exited ${code}`)),
          );
        }),
    ),
  );
  const ok = results.reduce((n, r) => n + r.ok, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const elapsed = (Date.now() - started) / 1000;
  const stats = await admin('/rate-limit');
  // The warm-up calls are outside the measured interval but inside the sandbox's counters: count 429s of
  // the whole run (stricter), and calls per second of the measured interval only.
  const keyStats = Object.values(stats.keys)[0] ?? {
    allowed: 0,
    limited: 0,
    maxPerSecond: 0,
    maxPerMinute: 0,
  };
  await setupPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await setupPool.end();
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
    {
      clients: '3 processes',
      callersPerClient,
      limits: { ...resolveRateLimits(limits), defaults: Object.keys(limits).length === 0 },
      endpoint: 'GET /pharmacy_skus/',
    },
  );
}
