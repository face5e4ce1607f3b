import { setMaxListeners } from 'node:events';
import { createTestSchema, databaseUrl, waitFor, type TestSchema } from '@rxbridge/testing';
import pg from 'pg';
import { PostgresRateBudget } from '../src/budget/postgres-rate-budget.js';
import type { RxScalePriority } from '../src/budget/rate-budget.js';
import { maxInAnyWindow } from './window-count.js';

describe(PostgresRateBudget.name, () => {
  // Only the name is reserved: creating its schema is what the budget under test does.
  let reserved: TestSchema;
  let schema: string;
  let admin: pg.Client;
  beforeAll(async () => {
    reserved = await createTestSchema('rxscale_budget_test', { create: false });
    schema = reserved.name;
    admin = reserved.sql;
  });
  const pools: pg.Pool[] = [];
  const budgets: PostgresRateBudget[] = [];

  /** A budget with its own pool, as a separate service replica would have. */
  async function replica(options: {
    bucket: string;
    perSecond?: number;
    perMinute?: number;
    minSpacingMs?: number;
    pool?: pg.Pool;
  }): Promise<PostgresRateBudget> {
    const pool = options.pool ?? new pg.Pool({ connectionString: databaseUrl, max: 2 });
    if (!options.pool) pools.push(pool);
    const budget = await PostgresRateBudget.create({ ...options, pool, schema });
    budgets.push(budget);
    return budget;
  }

  afterAll(async () => {
    await Promise.all(budgets.map((b) => b.close()));
    await Promise.all(pools.map((p) => p.end()));
    await reserved.drop();
  });

  it('creates its schema idempotently, even from several replicas at once', async () => {
    const bucket = 'init';
    await Promise.all([replica({ bucket }), replica({ bucket }), replica({ bucket })]);
    const tables = await admin.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['pauses', 'token_log', 'waiters']);
  });

  it('three replicas hammering for a few seconds never take more than 10 tokens in any second', async () => {
    const bucket = 'hammer';
    const replicas = await Promise.all([replica({ bucket }), replica({ bucket }), replica({ bucket })]);
    const times: number[] = [];
    const until = Date.now() + 3500;
    const priorities: RxScalePriority[] = ['order-status', 'stock-push', 'reconciliation'];
    // Four concurrent callers per replica, each taking tokens back to back until the time is up.
    await Promise.all(
      replicas.flatMap((budget, i) =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < until) {
            await budget.take(priorities[i]!);
            times.push(Date.now());
          }
        }),
      ),
    );
    expect(times.length).toBeGreaterThan(10);
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(10);
    // The database's own log, by its clock, says the same.
    const log = await admin.query<{ ms: number }>(
      `SELECT (extract(epoch FROM taken_at) * 1000)::float8 AS ms FROM "${schema}".token_log WHERE bucket = $1`,
      [bucket],
    );
    expect(log.rows).toHaveLength(times.length);
    const taken = log.rows.map((r) => r.ms).sort((a, b) => a - b);
    expect(maxInAnyWindow(taken, 1000)).toBeLessThanOrEqual(10);
    // No bursts either: consecutive calls keep the least spacing (52 ms by default), by the database's clock.
    const gaps = taken.slice(1).map((t, i) => t - taken[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(52);
  });

  it('grants several tokens in one round trip where the limits keep no spacing, never more than they allow', async () => {
    // A pool that counts the budget's statements (a real pool and database; only the count is added).
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    let takes = 0;
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
      if (String(args[0]).includes('take_tokens')) takes++;
      return query(...args);
    };
    pools.push(pool);
    const many = await replica({ bucket: 'batch-fast', perSecond: 100_000, perMinute: 6_000_000, pool });
    await Promise.all(Array.from({ length: 200 }, () => many.take('order-status')));
    // 200 callers queued at once share round trips of up to 32 tokens each
    expect(takes).toBeLessThanOrEqual(20);
    expect(takes).toBeGreaterThanOrEqual(Math.ceil(200 / 32));

    // Spacing 0 but a small window: one round trip may grant the rest of the second, never more.
    const capped = await replica({ bucket: 'batch-capped', perSecond: 20, minSpacingMs: 0 });
    await Promise.all(Array.from({ length: 50 }, () => capped.take('stock-push')));
    const log = await admin.query<{ ms: number }>(
      `SELECT (extract(epoch FROM taken_at) * 1000)::float8 AS ms FROM "${schema}".token_log WHERE bucket = $1`,
      ['batch-capped'],
    );
    expect(log.rows).toHaveLength(50);
    expect(
      maxInAnyWindow(
        log.rows.map((r) => r.ms),
        1000,
      ),
    ).toBeLessThanOrEqual(20);
  });

  it('shares a round trip only among callers of one priority, so the urgent ones still go first', async () => {
    const budget = await replica({ bucket: 'batch-priority', perSecond: 5, minSpacingMs: 0 });
    for (let i = 0; i < 5; i++) await budget.take('stock-push');
    const served: RxScalePriority[] = [];
    const low = Array.from({ length: 5 }, () =>
      budget.take('reconciliation').then(() => served.push('reconciliation')),
    );
    const high = Array.from({ length: 5 }, () =>
      budget.take('order-status').then(() => served.push('order-status')),
    );
    await Promise.all([...low, ...high]);
    expect(served).toEqual([...Array(5).fill('order-status'), ...Array(5).fill('reconciliation')]);
  });

  it('never takes more than perMinute tokens in a minute across replicas', async () => {
    const bucket = 'minute';
    const replicas = await Promise.all([
      replica({ bucket, perMinute: 15 }),
      replica({ bucket, perMinute: 15 }),
      replica({ bucket, perMinute: 15 }),
    ]);
    const controller = new AbortController();
    setMaxListeners(50, controller.signal);
    let granted = 0;
    let refused = 0;
    const loops = replicas.flatMap((budget) =>
      Array.from({ length: 3 }, async () => {
        for (;;) {
          try {
            await budget.take('stock-push', controller.signal);
            granted++;
          } catch {
            refused++;
            return;
          }
        }
      }),
    );
    // the minute's 15 are granted within about 2 s; then a second more shows no 16th comes
    await waitFor(() => granted >= 15, "the minute's tokens", { timeoutMs: 20_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 1000));
    controller.abort();
    await Promise.all(loops);
    expect(granted).toBe(15);
    expect(refused).toBe(9);
  });

  it('serves order-status waiters anywhere in the fleet before reconciliation waiters', async () => {
    const bucket = 'priority';
    const [filler, background, orders] = await Promise.all([
      replica({ bucket, perSecond: 5 }),
      replica({ bucket, perSecond: 5 }),
      replica({ bucket, perSecond: 5 }),
    ]);
    // Use up this second, so that everyone below has to wait for the same refill.
    for (let i = 0; i < 5; i++) await filler.take('stock-push');
    const served: RxScalePriority[] = [];
    // The reconciliation waiters queue first, on their own replica.
    const low = Array.from({ length: 5 }, () =>
      background.take('reconciliation').then(() => served.push('reconciliation')),
    );
    await new Promise((r) => setTimeout(r, 50));
    const high = Array.from({ length: 5 }, () =>
      orders.take('order-status').then(() => served.push('order-status')),
    );
    await Promise.all([...low, ...high]);
    expect(served).toEqual([...Array(5).fill('order-status'), ...Array(5).fill('reconciliation')]);
    const waiters = await admin.query(`SELECT * FROM "${schema}".waiters WHERE bucket = $1`, [bucket]);
    expect(waiters.rows).toEqual([]);
  });

  it('a 429 seen by one replica pauses every replica until the pause ends', async () => {
    const bucket = 'pause';
    const [one, other] = await Promise.all([replica({ bucket }), replica({ bucket })]);
    await one.pause(500);
    const until = await admin.query<{ ms: number }>(
      `SELECT (extract(epoch FROM until) * 1000)::float8 AS ms FROM "${schema}".pauses WHERE bucket = $1`,
      [bucket],
    );
    await other.take('order-status');
    const taken = await admin.query<{ ms: number }>(
      `SELECT (extract(epoch FROM taken_at) * 1000)::float8 AS ms FROM "${schema}".token_log WHERE bucket = $1`,
      [bucket],
    );
    expect(taken.rows).toHaveLength(1);
    // By the database's clock, the token was taken only after the pause ended.
    expect(taken.rows[0]!.ms).toBeGreaterThanOrEqual(until.rows[0]!.ms);
    // A shorter pause never shortens a longer one.
    await one.pause(60_000);
    await one.pause(10);
    const longest = await admin.query<{ left: number }>(
      `SELECT extract(epoch FROM until - now()) AS left FROM "${schema}".pauses WHERE bucket = $1`,
      [bucket],
    );
    expect(Number(longest.rows[0]!.left)).toBeGreaterThan(50);
  });

  it('refuses a schema name that is not a plain identifier and needs a database', async () => {
    await expect(
      PostgresRateBudget.create({ connectionString: databaseUrl, schema: 'x"; DROP TABLE y; --' }),
    ).rejects.toThrow('identifier');
    await expect(PostgresRateBudget.create({ schema })).rejects.toThrow('pg pool or a connection string');
  });

  it('fails the waiting call with the database error when the database is unreachable', async () => {
    const budget = await PostgresRateBudget.create({ connectionString: databaseUrl, schema, bucket: 'down' });
    // Take the pool away under the budget: the next take cannot reach the database.
    await (budget as unknown as { pool: pg.Pool }).pool.end();
    await expect(budget.take('order-status')).rejects.toThrow(/pool/i);
  });
});
