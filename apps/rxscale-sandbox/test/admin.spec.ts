import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PharmacySkuPage } from '@rxbridge/rxscale-contract';
import { optionsFromEnv, startSandbox, type RunningSandbox } from '../src/index.js';
import { admin, api, createOrder, setupChain, startTestSandbox } from './helpers.js';

const demoSeed = join(dirname(fileURLToPath(import.meta.url)), '..', 'seed', 'demo-chain.json');

describe('RxScale sandbox: admin API, seed and configuration', () => {
  describe('admin input', () => {
    let sb: RunningSandbox;
    beforeAll(async () => {
      sb = await startTestSandbox();
      await setupChain(sb);
    });
    afterAll(() => sb.close());

    it('answers 400 naming the problem, and creates nothing', async () => {
      const cases: Array<[string, unknown, string]> = [
        ['/pharmacies', { display_name: '' }, 'display_name must not be empty'],
        ['/pharmacies', { display_name: 'X', group_uid: 'grp-nope' }, "group_uid 'grp-nope' does not exist"],
        ['/api-keys', { name: 'k', permissions: ['orders_read'] }, 'exactly one of pharmacy_uid'],
        [
          '/api-keys',
          { name: 'k', pharmacy_uid: 'ph-a1', permissions: ['everything'] },
          'unknown permission',
        ],
        ['/skus', { display_name: 'X', pzn: '123' }, 'pzn must be 8 digits'],
        [
          '/pharmacy-skus',
          { pharmacy_uid: 'ph-a1', sku_uid: 'sku-1', price: 1, stock: -1 },
          'stock must be 0 or more',
        ],
        [
          '/pharmacy-skus',
          { pharmacy_uid: 'ph-a1', sku_uid: 'sku-nope', price: 1, stock: 1 },
          "sku_uid 'sku-nope' does not exist",
        ],
        ['/orders', { pharmacy_uid: 'ph-a1', items: [] }, 'items must hold at least one line'],
        [
          '/orders',
          { pharmacy_uid: 'ph-a1', items: [{ pharmacy_sku_uid: 'psku-a2-1', amount: 1 }] },
          'is not a SKU of pharmacy',
        ],
        [
          '/orders',
          { pharmacy_uid: 'ph-a1', items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 0 }] },
          'amount must be positive',
        ],
      ];
      const before = (await admin(sb, 'GET', '/state')).body;
      for (const [path, body, problem] of cases) {
        const res = await admin(sb, 'POST', path, body);
        expect([path, res.status]).toEqual([path, 400]);
        expect(JSON.stringify(res.body)).toContain(problem);
      }
      const malformed = await fetch(`${sb.adminUrl}/orders`, { method: 'POST', body: '{"pharmacy_uid":' });
      expect(malformed.status).toBe(400);
      expect((await admin(sb, 'GET', '/state')).body).toEqual(before);
    });

    it('answers 409 to a duplicate uid and 404 to an unknown one', async () => {
      expect((await admin(sb, 'POST', '/pharmacies', { uid: 'ph-a1', display_name: 'again' })).status).toBe(
        409,
      );
      expect((await admin(sb, 'GET', '/orders/po-nope')).status).toBe(404);
      expect((await admin(sb, 'POST', '/orders/po-nope/cancel', {})).status).toBe(404);
      expect((await admin(sb, 'PATCH', '/pharmacy-skus/psku-nope/stock', { stock: 1 })).status).toBe(404);
      expect((await admin(sb, 'PUT', '/rate-limit', {})).status).toBe(400);
      expect((await admin(sb, 'PATCH', '/settings', { echoEverything: true })).status).toBe(400);
    });

    it('creates init orders that RxScale assigns later', async () => {
      const uid = await createOrder(sb, {
        pharmacy_uid: 'ph-a1',
        status: 'init',
        items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 1 }],
      });
      expect((await admin(sb, 'POST', `/orders/${uid}/assign`)).body.status).toBe('waiting for pharmacy');
      expect((await admin(sb, 'POST', `/orders/${uid}/assign`)).status).toBe(409);
    });
  });

  describe('reset and seed', () => {
    it('reset clears everything, and reseed loads the seed again', async () => {
      const sb = await startSandbox({ port: 0, seed: demoSeed });
      try {
        const seeded = (await admin(sb, 'GET', '/state')).body;
        expect(seeded).toMatchObject({ groups: 1, pharmacies: 3, apiKeys: 5, skus: 150, orders: 6 });
        expect(seeded.pharmacySkus).toBeGreaterThan(300);
        await admin(sb, 'POST', '/faults', { kind: 'error' });
        expect((await admin(sb, 'POST', '/reset', {})).body).toEqual({ reset: true, reseeded: false });
        expect((await admin(sb, 'GET', '/state')).body).toMatchObject({
          pharmacies: 0,
          apiKeys: 0,
          orders: 0,
        });
        expect((await admin(sb, 'GET', '/faults')).body).toEqual([]);
        expect((await admin(sb, 'GET', '/requests')).body.entries).toEqual([]);
        expect((await api(sb, 'GET', '/health/', { key: 'demo-pharmacy-1-key-000000000000' })).status).toBe(
          401,
        );
        await admin(sb, 'POST', '/reset', { reseed: true });
        expect((await admin(sb, 'GET', '/state')).body).toMatchObject({ pharmacies: 3, orders: 6 });
      } finally {
        await sb.close();
      }
    });

    it('seeds a demo chain whose group key reads every pharmacy, page by page', async () => {
      const sb = await startSandbox({ port: 0, seed: demoSeed, rateLimit: false });
      try {
        let total = 0;
        for (const ph of ['ph-demo-lindenplatz', 'ph-demo-markt', 'ph-demo-bahnhof']) {
          const first = PharmacySkuPage.parse(
            (
              await api(sb, 'GET', `/pharmacy_skus/?pharmacy_uid=${ph}&limit=200`, {
                key: 'demo-group-key-0000000000000000',
              })
            ).body,
          );
          expect(first.totalPages).toBe(1);
          total += first.totalRegistries;
        }
        expect(total).toBe((await admin(sb, 'GET', '/state')).body.pharmacySkus);
      } finally {
        await sb.close();
      }
    });

    it('refuses to start with a seed that is missing, not JSON or invalid, naming the file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sandbox-seed-'));
      const notJson = join(dir, 'not-json.json');
      const invalid = join(dir, 'invalid.json');
      const dangling = join(dir, 'dangling.json');
      writeFileSync(notJson, '{');
      writeFileSync(invalid, JSON.stringify({ pharmacies: [{ display_name: 7 }] }));
      writeFileSync(
        dangling,
        JSON.stringify({ pharmacies: [{ display_name: 'x', group_uid: 'grp-missing' }] }),
      );
      await expect(startSandbox({ seed: join(dir, 'missing.json') })).rejects.toThrow('cannot be read');
      await expect(startSandbox({ seed: notJson })).rejects.toThrow(`seed file ${notJson} is not valid JSON`);
      await expect(startSandbox({ seed: invalid })).rejects.toThrow('pharmacies.0.display_name');
      await expect(startSandbox({ seed: dangling })).rejects.toThrow(
        "group_uid 'grp-missing' does not exist",
      );
    });
  });

  describe('configuration from the environment', () => {
    it('has the documented defaults', () => {
      expect(optionsFromEnv({})).toEqual({
        port: 4010,
        host: '127.0.0.1',
        seed: undefined,
        rateLimit: true,
        log: true,
        bodyLimitBytes: 1024 * 1024,
        webhooks: { timeoutMs: 5000, maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000 },
      });
      expect(optionsFromEnv({ SANDBOX_RATE_LIMIT: 'off', SANDBOX_PORT: '0' })).toMatchObject({
        rateLimit: false,
        port: 0,
      });
    });

    it('refuses bad values, naming every wrong variable', () => {
      expect(() => optionsFromEnv({ SANDBOX_PORT: '70000', SANDBOX_RATE_LIMIT: 'maybe' })).toThrow(
        /SANDBOX_PORT: SANDBOX_PORT must be at most 65535; SANDBOX_RATE_LIMIT: SANDBOX_RATE_LIMIT must be on or off/,
      );
      expect(() => optionsFromEnv({ SANDBOX_WEBHOOK_MAX_ATTEMPTS: 'three' })).toThrow(
        'SANDBOX_WEBHOOK_MAX_ATTEMPTS',
      );
    });
  });
});
