import { PharmacySku, PharmacySkuPage, ValidationErrorBody } from '@rxbridge/rxscale-contract';
import type { RunningSandbox } from '../src/index.js';
import { admin, api, setupChain, startTestSandbox } from './helpers.js';

describe('RxScale sandbox: bodies, SKUs and rate limits', () => {
  let sb: RunningSandbox;
  let keys: Awaited<ReturnType<typeof setupChain>>['keys'];

  beforeAll(async () => {
    sb = await startTestSandbox({ rateLimit: false, bodyLimitBytes: 64 * 1024 });
    ({ keys } = await setupChain(sb));
  });
  afterAll(() => sb.close());

  describe('request bodies', () => {
    it('answers 413 to a body over the limit, changing nothing', async () => {
      const res = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1', {
        key: keys.a1,
        body: { external_id: 'x'.repeat(70 * 1024) },
      });
      expect(res.status).toBe(413);
      expect(res.body.error).toContain('65536 bytes');
      expect((await admin(sb, 'GET', '/pharmacy-skus/psku-a1-1')).body.external_id).toBeNull();
    });

    it('answers 400 to malformed JSON', async () => {
      const res = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/stock', {
        key: keys.a1,
        rawBody: '{"stock": 5',
      });
      expect(res).toMatchObject({ status: 400, body: { error: 'Malformed JSON body' } });
    });

    it('checks the key before reading the body', async () => {
      const res = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/stock', { rawBody: '{"stock": 5' });
      expect(res.status).toBe(401);
    });

    it('answers 400 naming each invalid field', async () => {
      const res = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1', {
        key: keys.a1,
        body: { stock: -3, price: 'cheap' },
      });
      expect(res.status).toBe(400);
      expect(
        ValidationErrorBody.parse(res.body)
          .details.map((d) => d.field)
          .sort(),
      ).toEqual(['price', 'stock']);
      expect((await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/stock', { key: keys.a1 })).status).toBe(400);
    });
  });

  describe('SKU endpoints (API.md §7.6-§7.9)', () => {
    it('sets stock absolutely, price and external id, and lists the result', async () => {
      const stock = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/stock', {
        key: keys.a1,
        body: { stock: 42 },
      });
      expect(PharmacySku.parse(stock.body).stock).toBe(42);
      const upd = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1', { key: keys.a1, body: { price: 2349 } });
      expect(PharmacySku.parse(upd.body)).toMatchObject({ price: 2349, stock: 42 });
      const ext = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/external_id', {
        key: keys.a1,
        body: { external_id: 'WAWI-448812' },
      });
      expect(ext.body.external_id).toBe('WAWI-448812');
      const list = await api(sb, 'GET', '/pharmacy_skus/', { key: keys.a1 });
      expect(PharmacySkuPage.parse(list.body).data.find((s) => s.uid === 'psku-a1-1')).toMatchObject({
        stock: 42,
        price: 2349,
        external_id: 'WAWI-448812',
        pharmacy: 'ph-a1',
        sku: { uid: 'sku-1', pzn: '06312077' },
      });
    });

    it('hides the SKU type an account hides, from the list and the updates', async () => {
      await admin(sb, 'POST', '/pharmacies', {
        uid: 'ph-h',
        display_name: 'Hidden digital',
        hidden_sku_type: 'digital',
      });
      await admin(sb, 'POST', '/skus', {
        uid: 'sku-dig',
        display_name: 'Digital voucher',
        pzn: '99999999',
        digital: true,
      });
      await admin(sb, 'POST', '/pharmacy-skus', {
        uid: 'psku-h-d',
        pharmacy_uid: 'ph-h',
        sku_uid: 'sku-dig',
        price: 1,
        stock: 1,
      });
      await admin(sb, 'POST', '/pharmacy-skus', {
        uid: 'psku-h-p',
        pharmacy_uid: 'ph-h',
        sku_uid: 'sku-1',
        price: 1,
        stock: 1,
      });
      const key = (
        await admin(sb, 'POST', '/api-keys', {
          name: 'h',
          pharmacy_uid: 'ph-h',
          permissions: ['stock_read', 'stock_write'],
        })
      ).body.key;
      const list = await api(sb, 'GET', '/pharmacy_skus/', { key });
      expect(PharmacySkuPage.parse(list.body).data.map((s) => s.uid)).toEqual(['psku-h-p']);
      expect(list.body.totalRegistries).toBe(1);
      expect(
        (await api(sb, 'PATCH', '/pharmacy_skus/psku-h-d/stock', { key, body: { stock: 5 } })).status,
      ).toBe(404);
    });
  });

  describe('rate limits (API.md §6)', () => {
    let limited: RunningSandbox;
    let key: string;
    let otherKey: string;

    beforeAll(async () => {
      limited = await startTestSandbox({ rateLimit: true });
      await admin(limited, 'POST', '/pharmacies', { uid: 'ph-r', display_name: 'R' });
      key = (
        await admin(limited, 'POST', '/api-keys', {
          name: 'r',
          pharmacy_uid: 'ph-r',
          permissions: ['orders_read'],
        })
      ).body.key;
      otherKey = (
        await admin(limited, 'POST', '/api-keys', {
          name: 'r2',
          pharmacy_uid: 'ph-r',
          permissions: ['orders_read'],
        })
      ).body.key;
    });
    afterAll(() => limited.close());

    it('answers 429 Rate limit exceeded once a key has made 10 calls within a second', async () => {
      // 30 calls at once: unless they spread over more than 2 s (they do not, even on a loaded machine) some
      // are refused. What is asserted is the rule itself, from the sandbox's own counters, not timing.
      const results = await Promise.all(
        Array.from({ length: 30 }, () => api(limited, 'GET', '/pharmacy_orders/', { key })),
      );
      const statuses = results.map((r) => r.status);
      const ok = statuses.filter((s) => s === 200).length;
      const refused = statuses.filter((s) => s === 429).length;
      expect(ok + refused).toBe(30);
      expect(ok).toBeGreaterThanOrEqual(10);
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(results.find((r) => r.status === 429)?.body).toEqual({ error: 'Rate limit exceeded' });
      const stats = (await admin(limited, 'GET', '/rate-limit')).body;
      const mine = Object.values(
        stats.keys as Record<string, { allowed: number; limited: number; maxPerSecond: number }>,
      )[0];
      // Never more than 10 accepted in any rolling second, and the 10th was reached.
      expect(mine).toEqual({ allowed: ok, limited: refused, maxPerSecond: 10, maxPerMinute: ok });
      expect(stats.limits).toEqual({ perSecond: 10, perMinute: 600 });
    });

    it('counts per key: another key still has its budget', async () => {
      expect((await api(limited, 'GET', '/pharmacy_orders/', { key: otherKey })).status).toBe(200);
    });

    it('can be switched off through the admin API, and still counts', async () => {
      expect((await admin(limited, 'PUT', '/rate-limit', { enabled: false })).body).toEqual({
        enabled: false,
      });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => api(limited, 'GET', '/pharmacy_orders/', { key: otherKey })),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      const stats = (await admin(limited, 'GET', '/rate-limit')).body;
      expect(stats.enabled).toBe(false);
      const allowed = Object.values(stats.keys as Record<string, { allowed: number }>).map((k) => k.allowed);
      expect(allowed).toContain(21); // 1 call before plus these 20
      expect((await admin(limited, 'PUT', '/rate-limit', { enabled: 'no' })).status).toBe(400);
    });
  });
});
