import {
  AuthErrorBody,
  HealthResponse,
  PharmacyOrderDetail,
  PharmacyOrderPage,
  StandardErrorBody,
} from '@rxbridge/rxscale-contract';
import type { RunningSandbox } from '../src/index.js';
import { admin, api, createOrder, requestLog, setupChain, startTestSandbox } from './helpers.js';

describe('RxScale sandbox: authentication, permissions and pharmacy scope', () => {
  let sb: RunningSandbox;
  let keys: Awaited<ReturnType<typeof setupChain>>['keys'];
  let orderA1: string;
  let orderA2: string;

  beforeAll(async () => {
    sb = await startTestSandbox({ rateLimit: false });
    ({ keys } = await setupChain(sb));
    orderA1 = await createOrder(sb, {
      pharmacy_uid: 'ph-a1',
      items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 1 }],
    });
    orderA2 = await createOrder(sb, {
      pharmacy_uid: 'ph-a2',
      items: [{ pharmacy_sku_uid: 'psku-a2-1', amount: 1 }],
    });
  });
  afterAll(() => sb.close());

  describe('the key', () => {
    it('answers 401 authorization_header_missing without any key', async () => {
      const res = await api(sb, 'GET', '/pharmacy_orders/');
      expect(res.status).toBe(401);
      expect(AuthErrorBody.parse(res.body).code).toBe('authorization_header_missing');
    });

    it('answers 401 api_key_missing when only an Authorization header is sent', async () => {
      const res = await api(sb, 'GET', '/pharmacy_orders/', {
        headers: { authorization: 'Bearer something' },
      });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('api_key_missing');
    });

    it('answers 401 invalid_api_key for an unknown key, without echoing it', async () => {
      const res = await api(sb, 'GET', '/pharmacy_orders/', { key: 'sbx_not-a-real-key-123456' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'invalid_api_key', description: 'API key not found or inactive' });
      expect(JSON.stringify(res.body)).not.toContain('not-a-real-key');
    });

    it('refuses a revoked key', async () => {
      const created = await admin(sb, 'POST', '/api-keys', {
        name: 'to revoke',
        pharmacy_uid: 'ph-a1',
        permissions: ['orders_read'],
      });
      expect((await api(sb, 'GET', '/pharmacy_orders/', { key: created.body.key })).status).toBe(200);
      expect((await admin(sb, 'DELETE', `/api-keys/${created.body.id}`)).status).toBe(204);
      const res = await api(sb, 'GET', '/pharmacy_orders/', { key: created.body.key });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_api_key');
    });

    it('never shows a key again after creation', async () => {
      const list = await admin(sb, 'GET', '/api-keys');
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(keys.a1);
      for (const k of list.body) expect(k).not.toHaveProperty('key');
    });

    it('answers health for any valid key', async () => {
      const res = await api(sb, 'GET', '/health/', { key: keys.readOnly });
      expect(res.status).toBe(200);
      expect(HealthResponse.parse(res.body)).toEqual({ status: 'ok' });
    });
  });

  describe('permissions (API.md §2)', () => {
    it('answers 403 permission_denied on an action the key may not do', async () => {
      const res = await api(sb, 'PATCH', `/pharmacy_orders/${orderA1}/status`, {
        key: keys.readOnly,
        body: { status: 'pending review' },
      });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ code: 'permission_denied', description: 'Permission denied' });
      const hooks = await api(sb, 'GET', '/webhooks/', { key: keys.readOnly });
      expect(hooks.status).toBe(403);
    });

    it('lets stock_write set stock but not the price or the external id', async () => {
      const stock = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-2/stock', {
        key: keys.stockOnly,
        body: { stock: 6 },
      });
      expect(stock.status).toBe(200);
      expect(stock.body.stock).toBe(6);
      const price = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-2', {
        key: keys.stockOnly,
        body: { price: 1 },
      });
      expect(price.status).toBe(403);
      const ext = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-2/external_id', {
        key: keys.stockOnly,
        body: { external_id: 'X' },
      });
      expect(ext.status).toBe(403);
      expect((await api(sb, 'GET', '/pharmacy_skus/', { key: keys.stockOnly })).status).toBe(403);
    });
  });

  describe('pharmacy scope (API.md §3)', () => {
    it('answers 400 to a group key without pharmacy_uid, on every endpoint', async () => {
      for (const [method, path] of [
        ['GET', '/health/'],
        ['GET', '/pharmacy_orders/'],
        ['GET', `/pharmacy_orders/${orderA1}`],
        ['GET', '/pharmacy_skus/'],
        ['GET', '/webhooks/'],
        ['GET', '/payouts'],
      ] as const) {
        const res = await api(sb, method, path, { key: keys.groupA });
        expect([path, res.status, res.body]).toEqual([
          path,
          400,
          { error: 'pharmacy_uid is required for group keys' },
        ]);
      }
    });

    it('lets a group key act on each pharmacy of its group', async () => {
      const a1 = await api(sb, 'GET', '/pharmacy_orders/?pharmacy_uid=ph-a1', { key: keys.groupA });
      const a2 = await api(sb, 'GET', '/pharmacy_orders/?pharmacy_uid=ph-a2', { key: keys.groupA });
      expect(PharmacyOrderPage.parse(a1.body).data.map((o) => o.uid)).toEqual([orderA1]);
      expect(PharmacyOrderPage.parse(a2.body).data.map((o) => o.uid)).toEqual([orderA2]);
    });

    it('answers 404 when a group key names a pharmacy outside its group or one that does not exist', async () => {
      for (const ph of ['ph-b1', 'ph-nope']) {
        const res = await api(sb, 'GET', `/pharmacy_orders/?pharmacy_uid=${ph}`, { key: keys.groupA });
        expect(res.status).toBe(404);
        expect(StandardErrorBody.parse(res.body).error).toBe('Resource not found');
      }
    });

    it('answers 404 when a single-pharmacy key names another pharmacy', async () => {
      const res = await api(sb, 'GET', '/pharmacy_orders/?pharmacy_uid=ph-a2', { key: keys.a1 });
      expect(res.status).toBe(404);
      const own = await api(sb, 'GET', '/pharmacy_orders/?pharmacy_uid=ph-a1', { key: keys.a1 });
      expect(own.status).toBe(200);
    });

    it('answers 404 for an unknown uid and for another pharmacy’s order, SKU or subscription alike', async () => {
      const unknown = await api(sb, 'GET', '/pharmacy_orders/po-does-not-exist', { key: keys.a1 });
      const foreign = await api(sb, 'GET', `/pharmacy_orders/${orderA2}`, { key: keys.a1 });
      expect(unknown).toMatchObject({ status: 404, body: { error: 'Resource not found' } });
      expect(foreign).toMatchObject({ status: 404, body: { error: 'Resource not found' } });
      const foreignPatch = await api(sb, 'PATCH', `/pharmacy_orders/${orderA2}/status`, {
        key: keys.a1,
        body: { status: 'pending review' },
      });
      expect(foreignPatch.status).toBe(404);
      const foreignSku = await api(sb, 'PATCH', '/pharmacy_skus/psku-a2-1/stock', {
        key: keys.a1,
        body: { stock: 1 },
      });
      expect(foreignSku.status).toBe(404);
      // Nothing changed for the other pharmacy.
      expect((await admin(sb, 'GET', `/orders/${orderA2}`)).body.status).toBe('waiting for pharmacy');
      expect((await admin(sb, 'GET', '/pharmacy-skus/psku-a2-1')).body.stock).toBe(7);
    });
  });

  describe('base paths and trailing slashes (API.md §1)', () => {
    it('serves every call under both base paths, with and without the trailing slash', async () => {
      for (const basePath of ['/v1/external-pharmacy-api-v1', '/v1/external_pharmacy_api'] as const) {
        for (const path of [
          '/pharmacy_orders/',
          '/pharmacy_orders',
          `/pharmacy_orders/${orderA1}`,
          `/pharmacy_orders/${orderA1}/`,
        ]) {
          const res = await api(sb, 'GET', path, { key: keys.a1, basePath });
          expect([basePath, path, res.status]).toEqual([basePath, path, 200]);
        }
        const detail = await api(sb, 'GET', `/pharmacy_orders/${orderA1}`, { key: keys.a1, basePath });
        expect(PharmacyOrderDetail.parse(detail.body).uid).toBe(orderA1);
        expect((await api(sb, 'GET', '/payouts', { key: keys.a1, basePath })).status).toBe(200);
        expect((await api(sb, 'GET', '/payouts/', { key: keys.a1, basePath })).status).toBe(200);
      }
      const bases = new Set((await requestLog(sb)).map((e) => e.basePath));
      expect(bases).toEqual(new Set(['/v1/external-pharmacy-api-v1', '/v1/external_pharmacy_api']));
    });

    it('answers 404 Resource not found for an unknown path or base path', async () => {
      const res = await fetch(`${sb.url}/v2/external_pharmacy_api/pharmacy_orders/`, {
        headers: { 'x-api-key': keys.a1 },
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'Resource not found' });
    });
  });

  describe('request log', () => {
    it('records method, path, key id and status, never the key', async () => {
      await api(sb, 'GET', '/pharmacy_orders/?search=Musterfrau', { key: keys.a1 });
      const log = await admin(sb, 'GET', '/requests?limit=1');
      const [entry] = log.body.entries;
      expect(entry).toMatchObject({
        method: 'GET',
        path: '/v1/external-pharmacy-api-v1/pharmacy_orders/',
        endpoint: 'GET /pharmacy_orders/',
        pharmacyUid: 'ph-a1',
        status: 200,
        query: { search: '***' },
      });
      expect(entry.keyId).toMatch(/^key-/);
      const all = JSON.stringify((await admin(sb, 'GET', '/requests?limit=100000')).body);
      for (const k of Object.values(keys)) expect(all).not.toContain(k);
      expect(all).not.toContain('Musterfrau');
    });
  });
});
