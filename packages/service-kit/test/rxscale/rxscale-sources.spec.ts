import { randomBytes } from 'node:crypto';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import pg from 'pg';
import {
  ConfigError,
  configSchema,
  enqueueRxscaleCommands,
  loadConfig,
  RxscaleCommandRelay,
  RxscaleSourceError,
  RxscaleSources,
  rxscaleBudgetBucket,
  rxscaleSourcesConfig,
  silentLogger,
  type CommandTarget,
  type RxscaleCommand,
  type RxscaleSourcesConfig,
} from '../../src/index.js';
import { databaseUrl, waitFor } from '@rxbridge/testing';
import { count, createTestSchema, type TestSchema } from '../support/plumbing-harness.js';

const schema = configSchema({ rxscale: rxscaleSourcesConfig() });
const API_KEY_A = 'rxs_test_key_a_0123456789';
const API_KEY_B = 'rxs_test_key_b_9876543210';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain(API_KEY_A);
    expect(message).not.toContain(API_KEY_B);
    return message;
  }
  throw new Error('expected a ConfigError');
}

const sourcesJson = (sources: Record<string, unknown>) => ({ RXSCALE_SOURCES: JSON.stringify(sources) });
const group = (pharmacies?: string[]) => ({
  baseUrl: 'http://127.0.0.1:4010/',
  apiKey: API_KEY_A,
  scope: 'group',
  ...(pharmacies ? { pharmacies } : {}),
});
const single = (pharmacies: string[]) => ({
  baseUrl: 'http://127.0.0.1:4010',
  apiKey: API_KEY_B,
  scope: 'pharmacy',
  pharmacies,
});

describe(rxscaleSourcesConfig.name, () => {
  it('reads several sources, each with its pharmacies', () => {
    const { rxscale } = loadConfig(
      schema,
      sourcesJson({ chain: group(['ph-1', 'ph-2']), solo_3: single(['ph-3']) }),
    );
    expect(rxscale.sources).toEqual([
      {
        name: 'chain',
        baseUrl: 'http://127.0.0.1:4010',
        apiKey: API_KEY_A,
        scope: 'group',
        pharmacies: ['ph-1', 'ph-2'],
      },
      {
        name: 'solo_3',
        baseUrl: 'http://127.0.0.1:4010',
        apiKey: API_KEY_B,
        scope: 'pharmacy',
        pharmacies: ['ph-3'],
      },
    ]);
  });

  it('still reads the one-key variables as source "default"', () => {
    const env = { RXSCALE_BASE_URL: 'http://127.0.0.1:4010', RXSCALE_API_KEY: API_KEY_A };
    expect(loadConfig(schema, { ...env, RXSCALE_PHARMACY_UID: 'ph-1' }).rxscale.sources).toEqual([
      {
        name: 'default',
        baseUrl: 'http://127.0.0.1:4010',
        apiKey: API_KEY_A,
        scope: 'pharmacy',
        pharmacies: ['ph-1'],
      },
    ]);
    expect(loadConfig(schema, { ...env, RXSCALE_KEY_SCOPE: 'group' }).rxscale.sources[0]).toMatchObject({
      scope: 'group',
      pharmacies: [],
    });
  });

  it.each([
    [
      'nothing',
      {},
      'RXSCALE_SOURCES: is required but not set (or RXSCALE_BASE_URL and RXSCALE_API_KEY for one key)',
    ],
    [
      'a pharmacy in two sources',
      sourcesJson({ a: group(['ph-1', 'ph-2']), b: single(['ph-2']) }),
      'pharmacy "ph-2" is also in source "a"',
    ],
    [
      'a single-pharmacy key with two pharmacies',
      sourcesJson({ b: single(['ph-1', 'ph-2']) }),
      'lists exactly one pharmacy (got 2)',
    ],
    ['a single-pharmacy key with none', sourcesJson({ b: single([]) }), 'lists exactly one pharmacy (got 0)'],
    [
      'a group key without pharmacies beside another key',
      sourcesJson({ a: group(), b: single(['ph-3']) }),
      'a group key lists its pharmacies',
    ],
    ['a bad source name', sourcesJson({ 'Bad Name': group() }), 'a source name is lowercase'],
    ['a bad scope', sourcesJson({ a: { ...group(), scope: 'chain' } }), 'RXSCALE_SOURCES: item a.scope'],
    ['an unknown field', sourcesJson({ a: { ...group(), apikey: API_KEY_B } }), 'RXSCALE_SOURCES: item a'],
    ['no source', sourcesJson({}), 'must name at least one source'],
    [
      'broken JSON',
      { RXSCALE_SOURCES: `{"a":{"apiKey":"${API_KEY_A}"` },
      'RXSCALE_SOURCES: is not valid JSON',
    ],
    [
      'both forms',
      { ...sourcesJson({ a: group() }), RXSCALE_API_KEY: API_KEY_B },
      'RXSCALE_API_KEY: is not used together with RXSCALE_SOURCES',
    ],
    [
      'one key without its pharmacy',
      { RXSCALE_BASE_URL: 'http://127.0.0.1:4010', RXSCALE_API_KEY: API_KEY_A },
      'RXSCALE_PHARMACY_UID: is required when',
    ],
    [
      'one key without a URL',
      { RXSCALE_API_KEY: API_KEY_A, RXSCALE_KEY_SCOPE: 'group' },
      'RXSCALE_BASE_URL: is required but not set',
    ],
  ])('refuses %s, never quoting a key', (_what, env, expected) => {
    expect(problems(env)).toContain(expected);
  });
});

describe(RxscaleSources.name, () => {
  const budgetSchema = `rxscale_budget_src_${randomBytes(4).toString('hex')}`;
  let sb: RunningSandbox;
  let pool: pg.Pool;
  let keys: { group: string; single: string };
  const resolvers: RxscaleSources[] = [];

  async function admin<T>(
    path: string,
    body?: unknown,
    method = body === undefined ? 'GET' : 'POST',
  ): Promise<T> {
    const res = await fetch(`${sb.adminUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`admin ${path} answered ${res.status}`);
    return (await res.json()) as T;
  }

  function config(): RxscaleSourcesConfig {
    return {
      sources: [
        {
          name: 'chain',
          baseUrl: sb.url,
          apiKey: keys.group,
          scope: 'group',
          pharmacies: ['ph-g1', 'ph-g2'],
        },
        { name: 'solo', baseUrl: sb.url, apiKey: keys.single, scope: 'pharmacy', pharmacies: ['ph-s1'] },
      ],
    };
  }

  async function resolver(
    options: Parameters<typeof RxscaleSources.create>[1] = {},
  ): Promise<RxscaleSources> {
    const r = await RxscaleSources.create(config(), {
      pool,
      budgetSchema,
      // Sandbox and clients share this Jest process and two loaded cores: a wide margin over the 40 ms
      // default for the jitter between a token and the request's arrival (as the client's own test does).
      rateLimits: { marginMs: 250 },
      ...options,
    });
    resolvers.push(r);
    return r;
  }

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, rateLimit: true });
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    await admin('/groups', { uid: 'grp-g', display_name: 'Gruppe Beispiel' });
    for (const uid of ['ph-g1', 'ph-g2'])
      await admin('/pharmacies', { uid, display_name: `Apotheke ${uid}`, group_uid: 'grp-g' });
    await admin('/pharmacies', { uid: 'ph-s1', display_name: 'Apotheke Solo' });
    const permissions = ['orders_read', 'orders_write', 'stock_read', 'stock_write', 'pharmacy_sku_write'];
    keys = {
      group: (await admin<{ key: string }>('/api-keys', { name: 'chain', group_uid: 'grp-g', permissions }))
        .key,
      single: (
        await admin<{ key: string }>('/api-keys', { name: 'solo', pharmacy_uid: 'ph-s1', permissions })
      ).key,
    };
    await admin('/skus', { uid: 'sku-x', display_name: 'Testpräparat', pzn: '10000001' });
    for (const ph of ['ph-g1', 'ph-g2', 'ph-s1'])
      await admin('/pharmacy-skus', {
        uid: `psku-${ph}`,
        pharmacy_uid: ph,
        sku_uid: 'sku-x',
        price: 1000,
        stock: 5,
      });
  });
  afterAll(async () => {
    await Promise.all(resolvers.splice(0).map((r) => r.close()));
    await pool.query(`DROP SCHEMA IF EXISTS "${budgetSchema}" CASCADE`);
    await pool.end();
    await sb.close();
  });

  describe('at start', () => {
    it('refuses a pharmacy the deployment serves that no source holds', async () => {
      const start = RxscaleSources.create(config(), {
        pool,
        budgetSchema,
        pharmacies: ['ph-g1', 'ph-s1', 'ph-nowhere'],
      });
      await expect(start).rejects.toBeInstanceOf(RxscaleSourceError);
      await expect(start).rejects.toMatchObject({
        code: 'pharmacy_without_source',
        message: expect.stringContaining('"ph-nowhere"') as string,
      });
    });

    it('refuses a configuration that breaks the rules even when built by hand', async () => {
      const broken = { sources: [...config().sources, { ...config().sources[1]!, name: 'again' }] };
      await expect(RxscaleSources.create(broken, { pool, budgetSchema })).rejects.toMatchObject({
        code: 'rxscale_sources_invalid',
      });
    });

    it('resolves every pharmacy to its source, with a bucket named after the source, not the key', async () => {
      const r = await resolver({ pharmacies: ['ph-g1', 'ph-g2', 'ph-s1'] });
      expect(r.sourceOf('ph-g2')?.name).toBe('chain');
      expect(r.clientFor('ph-s1')).toBe(r.sources().find((s) => s.name === 'solo')!.client);
      expect(r.sources().map((s) => s.bucket)).toEqual([
        rxscaleBudgetBucket('chain'),
        rxscaleBudgetBucket('solo'),
      ]);
      expect(() => r.clientFor('ph-nowhere')).toThrow(RxscaleSourceError);
      for (const s of r.sources()) expect(s.bucket).not.toContain(keys.group.slice(0, 8));
    });
  });

  it('holds each key to its own 10 calls a second, both at once, with no 429', async () => {
    const r = await resolver();
    const before = await admin<{ keys: Record<string, { allowed: number }> }>('/rate-limit');
    const until = Date.now() + 4000;
    const calls = { 'ph-g1': 0, 'ph-g2': 0, 'ph-s1': 0 };
    // Demand far above the limit on both keys: three callers per pharmacy, back to back.
    await Promise.all(
      (Object.keys(calls) as (keyof typeof calls)[]).flatMap((pharmacyUid) =>
        Array.from({ length: 3 }, async () => {
          while (Date.now() < until) {
            await r.clientFor(pharmacyUid).listPharmacySkus({ limit: 1 }, { pharmacyUid });
            calls[pharmacyUid]++;
          }
        }),
      ),
    );
    const after = await admin<{
      keys: Record<string, { allowed: number; limited: number; maxPerSecond: number }>;
    }>('/rate-limit');
    const keyStats = Object.entries(after.keys).filter(
      ([id]) => (before.keys[id]?.allowed ?? 0) < after.keys[id]!.allowed,
    );
    expect(keyStats).toHaveLength(2);
    for (const [, stats] of keyStats) {
      expect(stats.limited).toBe(0);
      expect(stats.maxPerSecond).toBeLessThanOrEqual(10);
    }
    // Each key got calls through while the other was busy: separate buckets, not one shared budget.
    expect(calls['ph-s1']).toBeGreaterThan(10);
    expect(calls['ph-g1'] + calls['ph-g2']).toBeGreaterThan(10);
    const buckets = await pool.query<{ bucket: string }>(
      `SELECT DISTINCT bucket FROM "${budgetSchema}".token_log ORDER BY bucket`,
    );
    expect(buckets.rows.map((b) => b.bucket)).toEqual([
      rxscaleBudgetBucket('chain'),
      rxscaleBudgetBucket('solo'),
    ]);
  });

  describe(RxscaleCommandRelay.name, () => {
    let db: TestSchema;
    let relay: RxscaleCommandRelay | undefined;
    beforeEach(async () => {
      db = await createTestSchema();
    });
    afterEach(async () => {
      await relay?.stop();
      await db.drop();
    });

    it('sends each command with the key of its pharmacy, and fails one whose pharmacy has no source', async () => {
      const sources = await resolver();
      const seen: { command: string; source: string | undefined }[] = [];
      relay = new RxscaleCommandRelay({
        dataSource: db.dataSource,
        sources,
        logger: silentLogger,
        pollIntervalMs: 200,
        execute: async (command: RxscaleCommand, target?: CommandTarget) => {
          seen.push({ command: command.targetUid, source: target?.source });
          await target!.client.updatePharmacySkuStock(command.targetUid, 7, {
            pharmacyUid: target!.pharmacyUid,
          });
          return { outcome: 'done' };
        },
        onOutcome: async (manager, command, outcome) => {
          await manager.query(
            'INSERT INTO command_outcome (command_id, outcome, reason) VALUES ($1, $2, $3)',
            [command.id, outcome.outcome, outcome.outcome === 'done' ? null : outcome.reason],
          );
        },
      });
      await db.dataSource.transaction((m) =>
        enqueueRxscaleCommands(m, [
          { kind: 'sku.stock', targetUid: 'psku-ph-g2', pharmacyUid: 'ph-g2', payload: null },
          { kind: 'sku.stock', targetUid: 'psku-ph-s1', pharmacyUid: 'ph-s1', payload: null },
          { kind: 'sku.stock', targetUid: 'psku-elsewhere', pharmacyUid: 'ph-nowhere', payload: null },
          { kind: 'sku.stock', targetUid: 'psku-anonymous', payload: null },
        ]),
      );
      await relay.start();
      await waitFor(
        async () => (await count(db.sql, 'SELECT 1 FROM command_outcome')) === 4,
        'four settled commands',
      );
      const outcomes = await db.sql.query<{
        target_uid: string;
        status: string;
        reason: string | null;
        attempts: number;
      }>('SELECT target_uid, status, reason, attempts FROM rxscale_command ORDER BY id');
      expect(outcomes.rows).toEqual([
        { target_uid: 'psku-ph-g2', status: 'done', reason: null, attempts: 1 },
        { target_uid: 'psku-ph-s1', status: 'done', reason: null, attempts: 1 },
        {
          target_uid: 'psku-elsewhere',
          status: 'failed',
          reason: expect.stringContaining('no RxScale source (API key) for pharmacy "ph-nowhere"') as string,
          attempts: 1,
        },
        {
          target_uid: 'psku-anonymous',
          status: 'failed',
          reason: expect.stringContaining('names no pharmacy') as string,
          attempts: 1,
        },
      ]);
      expect(seen.sort((a, b) => a.command.localeCompare(b.command))).toEqual([
        { command: 'psku-ph-g2', source: 'chain' },
        { command: 'psku-ph-s1', source: 'solo' },
      ]);
      const stock = async (uid: string) => (await admin<{ stock: number }>(`/pharmacy-skus/${uid}`)).stock;
      expect([await stock('psku-ph-g2'), await stock('psku-ph-s1'), await stock('psku-ph-g1')]).toEqual([
        7, 7, 5,
      ]);
    });
  });
});
