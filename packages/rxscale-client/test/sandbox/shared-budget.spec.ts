import { createTestSchema, databaseUrl, type TestSchema } from '@rxbridge/testing';
import { sandboxAdminOk, startTestSandbox } from '@rxbridge/testing/sandbox';
import pg from 'pg';
import { PostgresRateBudget, RxScaleClient, type RxScalePriority } from '../../src/index.js';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { maxInAnyWindow } from '../window-count.js';
import { requestLog, setupChain, type Chain } from './sandbox-chain.js';

describe('three services sharing the PostgreSQL rate budget', () => {
  // Only the name is reserved: the budgets create the schema.
  let reserved: TestSchema;
  let schema: string;
  let sb: RunningSandbox;
  let chain: Chain;
  const pools: pg.Pool[] = [];
  const budgets: PostgresRateBudget[] = [];

  beforeAll(async () => {
    reserved = await createTestSchema('rxscale_budget_it', { create: false });
    schema = reserved.name;
    sb = await startTestSandbox(startSandbox, { rateLimit: true });
    chain = await setupChain(sb);
  });
  afterAll(async () => {
    await Promise.all(budgets.map((b) => b.close()));
    await Promise.all(pools.map((p) => p.end()));
    await reserved.drop();
    await sb.close();
  });

  it('keeps the sandbox (rate limit on) free of 429s and at most 10 calls in any second', async () => {
    // Three clients as three services would have them: each its own pool and budget, one bucket, one key.
    const clients = await Promise.all(
      (['order-status', 'stock-push', 'reconciliation'] as RxScalePriority[]).map(async (priority) => {
        const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
        pools.push(pool);
        // Sandbox and clients share this Jest process (and two cores with every other suite of `npm test`),
        // so one stall of the process delays some requests behind their tokens and the sandbox sees them
        // arrive bunched. The margin is what absorbs that: 300 ms here (10 calls per 1.3 s) rather than the
        // 40 ms default, which the benchmark measures with each client in its own process. (A CI run failed
        // one test of this package at 100 ms, which one is not on record; this is the one most exposed to
        // stalls.) A budget granting too many still fails this test at any margin.
        const budget = await PostgresRateBudget.create({
          pool,
          schema,
          bucket: 'rxscale-sandbox-key',
          marginMs: 300,
        });
        budgets.push(budget);
        return { priority, client: new RxScaleClient({ baseUrl: sb.url, apiKey: chain.singleKey, budget }) };
      }),
    );
    const before = (await requestLog(sb)).length;
    const until = Date.now() + 4000;
    let calls = 0;
    // Demand well above the limit: four callers per service, back to back.
    await Promise.all(
      clients.flatMap(({ client, priority }) =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < until) {
            if (priority === 'stock-push')
              await client.updatePharmacySkuStock(chain.skuUids[0]!, 10, { priority });
            else await client.listPharmacySkus({ limit: 1 }, { priority });
            calls++;
          }
        }),
      ),
    );
    const log = (await requestLog(sb)).slice(before);
    expect(log).toHaveLength(calls);
    expect(log.filter((e) => e.status === 429)).toEqual([]);
    expect(log.every((e) => e.status === 200)).toBe(true);
    expect(
      maxInAnyWindow(
        log.map((e) => Date.parse(e.at)),
        1000,
      ),
    ).toBeLessThanOrEqual(10);
    const limits = await sandboxAdminOk<{ keys: Record<string, { limited: number; maxPerSecond: number }> }>(
      sb,
      'GET',
      '/rate-limit',
    );
    for (const stats of Object.values(limits.keys)) {
      expect(stats.limited).toBe(0);
      expect(stats.maxPerSecond).toBeLessThanOrEqual(10);
    }
  });
});
