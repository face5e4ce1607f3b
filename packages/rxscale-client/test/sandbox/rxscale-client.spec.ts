import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InProcessRateBudget,
  RxScaleAuthenticationError,
  RxScaleBadRequestError,
  RxScaleClient,
  RxScaleConfigError,
  RxScaleConflictError,
  RxScaleNotFoundError,
  RxScalePermissionError,
  RxScaleRateLimitError,
  RxScaleSchemaError,
  RxScaleServerError,
  RxScaleTimeoutError,
  RxScaleUnprocessableError,
  type RxScaleClientOptions,
  type RxScaleResponseEvent,
} from '../../src/index.js';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { sandboxAdminOk, startTestSandbox } from '@rxbridge/testing/sandbox';
import { z } from 'zod';
import { requestLog, setupChain, type Chain } from './sandbox-chain.js';

describe(RxScaleClient.name, () => {
  let sb: RunningSandbox;
  let chain: Chain;
  const clients: RxScaleClient[] = [];
  // One budget for every client of this process, as in a service: they all use keys of one sandbox.
  const budget = new InProcessRateBudget();

  beforeAll(async () => {
    sb = await startTestSandbox(startSandbox, { rateLimit: true });
    chain = await setupChain(sb);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await budget.close();
    await sb.close();
  });
  afterEach(async () => {
    await sandboxAdminOk(sb, 'DELETE', '/faults');
  });

  function client(overrides: Partial<RxScaleClientOptions> = {}): RxScaleClient {
    const c = new RxScaleClient({
      baseUrl: sb.url,
      apiKey: chain.singleKey,
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
      budget,
      ...overrides,
    });
    clients.push(c);
    return c;
  }

  describe('health', () => {
    it('answers under both documented base paths', async () => {
      await client().health();
      await client({ basePath: '/v1/external_pharmacy_api' }).health();
      await client({ baseUrl: sb.apiUrl('/v1/external_pharmacy_api') }).health();
      const paths = (await requestLog(sb)).filter((e) => e.endpoint === 'GET /health/').map((e) => e.path);
      expect(paths.slice(-3)).toEqual([
        '/v1/external-pharmacy-api-v1/health/',
        '/v1/external_pharmacy_api/health/',
        '/v1/external_pharmacy_api/health/',
      ]);
    });
  });

  describe('orders', () => {
    it('lists one page, and iterates over every page', async () => {
      const page = await client().listPharmacyOrders({ page: 1, limit: 2, status: 'waiting for pharmacy' });
      expect(page.totalRegistries).toBeGreaterThanOrEqual(5);
      expect(page.data).toHaveLength(2);
      const all = [];
      for await (const order of client().iteratePharmacyOrders({ limit: 2 })) all.push(order.uid);
      expect(new Set(all)).toEqual(new Set(chain.orderUids));
    });

    it('gets the detail of one order, and 404 for an unknown one', async () => {
      const order = await client().getPharmacyOrder(chain.orderUids[0]!);
      expect(order.uid).toBe(chain.orderUids[0]);
      expect(order.order_items[0]!.amount).toBe(2);
      await expect(client().getPharmacyOrder('po-does-not-exist')).rejects.toBeInstanceOf(
        RxScaleNotFoundError,
      );
    });

    it('moves an order through the flow, with a comment for on-hold, and completes it, reducing stock', async () => {
      const c = client();
      const uid = chain.orderUids[1]!;
      await c.updatePharmacyOrderStatus(uid, { status: 'pending review' });
      await c.updatePharmacyOrderStatus(uid, { status: 'on-hold', comment: 'Lieferengpass beim Großhandel' });
      await c.updatePharmacyOrderStatus(uid, { status: 'in-progress' });
      await c.updatePharmacyOrderStatus(uid, { status: 'ready_for_pickup' });
      await c.completePharmacyOrder(uid, {
        carrier: 'DHL',
        tracking_number: 'JJD000390007',
        tracking_url: 'https://tracking.example/JJD000390007',
      });
      const history = await sandboxAdminOk<Array<{ to: string }>>(sb, 'GET', `/orders/${uid}/history`);
      expect(history.map((h) => h.to)).toEqual(
        expect.arrayContaining(['pending review', 'on-hold', 'in-progress', 'ready_for_pickup', 'completed']),
      );
      expect((await c.getPharmacyOrder(uid)).status).toBe('completed');
      const sku = await sandboxAdminOk<{ stock: number }>(sb, 'GET', `/pharmacy-skus/${chain.skuUids[1]!}`);
      expect(sku.stock).toBe(48);
    });

    it('refuses on-hold without a comment and completed through /status before sending', async () => {
      const before = (await requestLog(sb)).length;
      const c = client();
      const uid = chain.orderUids[2]!;
      await expect(
        c.updatePharmacyOrderStatus(uid, { status: 'on-hold', comment: '  ' }),
      ).rejects.toMatchObject({
        code: 'request_invalid',
        path: 'comment',
      });
      await expect(
        c.updatePharmacyOrderStatus(uid, { status: 'completed' } as unknown as { status: 'in-progress' }),
      ).rejects.toBeInstanceOf(RxScaleSchemaError);
      expect(await requestLog(sb)).toHaveLength(before);
    });

    it('reports a transition RxScale refuses as a conflict', async () => {
      const error = await client()
        .updatePharmacyOrderStatus(chain.orderUids[3]!, { status: 'ready_for_pickup' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleConflictError);
      expect(error).toMatchObject({ status: 409, retryable: false });
      expect((error as RxScaleConflictError).errorMessage).toContain('not allowed');
    });
  });

  describe('SKUs', () => {
    it('lists a page and iterates over all 25 SKUs in pages of 10', async () => {
      const page = await client().listPharmacySkus({ page: 0, limit: 10 });
      expect(page).toMatchObject({ totalRegistries: 25, totalPages: 3 });
      const uids = [];
      for await (const sku of client().iteratePharmacySkus({ limit: 10 })) uids.push(sku.uid);
      expect(uids.sort()).toEqual([...chain.skuUids].sort());
    });

    it('updates price, stock and external id, and each on its own endpoint', async () => {
      const c = client();
      const uid = chain.skuUids[10]!;
      await c.updatePharmacySku(uid, { price: 2349, stock: 12 });
      expect(await sandboxAdminOk(sb, 'GET', `/pharmacy-skus/${uid}`)).toMatchObject({
        price: 2349,
        stock: 12,
      });
      await c.updatePharmacySkuStock(uid, 7);
      await c.updatePharmacySkuExternalId(uid, 'WAWI-448812');
      expect(await sandboxAdminOk(sb, 'GET', `/pharmacy-skus/${uid}`)).toMatchObject({
        stock: 7,
        external_id: 'WAWI-448812',
      });
    });

    it('refuses a negative stock before sending', async () => {
      await expect(client().updatePharmacySkuStock(chain.skuUids[10]!, -1)).rejects.toMatchObject({
        code: 'request_invalid',
      });
    });
  });

  describe('webhooks', () => {
    it('registers (secret shown once), lists without secrets, refuses a duplicate, and removes', async () => {
      const c = client();
      const created = await c.registerWebhook({
        target: 'https://pms.example/hooks/rxscale',
        notification_type: 'pharmacy_order_created',
      });
      expect(created.signing_secret.length).toBeGreaterThan(0);
      const listed = await c.listWebhooks();
      expect(listed).toEqual([
        expect.objectContaining({ uid: created.uid, notification_type: 'pharmacy_order_created' }),
      ]);
      expect(JSON.stringify(listed)).not.toContain(created.signing_secret);
      await expect(
        c.registerWebhook({
          target: 'https://pms.example/hooks/rxscale',
          notification_type: 'pharmacy_order_created',
        }),
      ).rejects.toBeInstanceOf(RxScaleConflictError);
      await c.deleteWebhook(created.uid);
      expect(await c.listWebhooks()).toEqual([]);
    });
  });

  describe('payouts', () => {
    it('lists and iterates the payouts of the pharmacy', async () => {
      const c = client();
      const page = await c.listPayouts({ limit: 200, sortBy: 'amount', sortDirection: 'asc' });
      expect(page.totalRegistries).toBeGreaterThan(0);
      const all = [];
      for await (const payout of c.iteratePayouts({ limit: 1 })) all.push(payout);
      expect(all).toHaveLength(page.totalRegistries);
      await expect(c.listPayouts({ status: 'paid' as 'routed' })).rejects.toBeInstanceOf(RxScaleConfigError);
    });
  });

  describe('group-wide keys', () => {
    it('sends pharmacy_uid on every call, the call’s own uid first', async () => {
      const c = client({ apiKey: chain.groupKey, keyScope: 'group', pharmacyUid: 'ph-a1' });
      const a1 = await c.listPharmacySkus({ limit: 5 });
      const a2 = await c.listPharmacySkus({ limit: 5 }, { pharmacyUid: 'ph-a2' });
      expect(a1.totalRegistries).toBe(25);
      expect(a2.data.map((s) => s.uid)).toEqual(['psku-a2-0']);
      const last = (await requestLog(sb)).slice(-2);
      expect(last.map((e) => e.query.pharmacy_uid)).toEqual(['ph-a1', 'ph-a2']);
    });

    it('refuses a call without pharmacy uid before sending anything', async () => {
      const before = (await requestLog(sb)).length;
      await expect(client({ apiKey: chain.groupKey, keyScope: 'group' }).health()).rejects.toMatchObject({
        code: 'pharmacy_uid_required',
      });
      expect(await requestLog(sb)).toHaveLength(before);
    });

    it('a group key used as if single-pharmacy gets RxScale’s 400', async () => {
      const error = await client({ apiKey: chain.groupKey })
        .listPharmacySkus()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleBadRequestError);
      expect((error as RxScaleBadRequestError).retryable).toBe(false);
    });
  });

  describe('errors from the sandbox', () => {
    it('401 for an unknown key, with the auth code and without the key in the message', async () => {
      const wrongKey = 'rxk_wrong_but_long_enough_0000';
      const error = await client({ apiKey: wrongKey })
        .health()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleAuthenticationError);
      expect(error).toMatchObject({ status: 401, authCode: 'invalid_api_key' });
      expect((error as Error).message).not.toContain(wrongKey);
    });

    it('403 for a missing permission', async () => {
      const error = await client({ apiKey: chain.readOnlyKey })
        .updatePharmacySkuStock(chain.skuUids[0]!, 3)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScalePermissionError);
      expect(error).toMatchObject({ status: 403, authCode: 'permission_denied', retryable: false });
    });

    it('400 for a body RxScale refuses (sent through the executor, past the client’s own checks)', async () => {
      const error = await client()
        .executor.request({
          method: 'PATCH',
          pathTemplate: '/pharmacy_skus/{uid}/stock',
          pathParams: { uid: chain.skuUids[0]! },
          body: { stock: 'many' },
          responseSchema: z.unknown(),
          priority: 'stock-push',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleBadRequestError);
    });

    it('retries a 5xx and then succeeds, with one request id and a hook event per attempt', async () => {
      await sandboxAdminOk(sb, 'POST', '/faults', {
        kind: 'error',
        status: 503,
        count: 2,
        endpoint: { method: 'GET', path: '/health/' },
      });
      const events: RxScaleResponseEvent[] = [];
      const before = (await requestLog(sb)).length;
      await client({ hooks: { onResponse: (e) => events.push(e) } }).health();
      expect(events.map((e) => [e.attempt, e.status, e.willRetry])).toEqual([
        [1, 503, true],
        [2, 503, true],
        [3, 200, false],
      ]);
      expect((await requestLog(sb)).slice(before).map((e) => e.status)).toEqual([503, 503, 200]);
    });

    it('gives up on a persistent 5xx with a server error', async () => {
      await sandboxAdminOk(sb, 'POST', '/faults', {
        kind: 'error',
        status: 500,
        endpoint: { path: '/health/' },
      });
      const error = await client({ retry: { maxAttempts: 2, baseDelayMs: 10 } })
        .health()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleServerError);
      expect(error).toMatchObject({ status: 500, attempts: 2, retryable: true });
    });

    it('waits as a 429 with Retry-After says, then succeeds', async () => {
      await sandboxAdminOk(sb, 'POST', '/faults', {
        kind: 'rate_limit',
        retryAfterSeconds: 1,
        count: 1,
        endpoint: { path: '/health/' },
      });
      const before = (await requestLog(sb)).length;
      await client().health();
      const seen = (await requestLog(sb)).slice(before);
      expect(seen.map((e) => e.status)).toEqual([429, 200]);
      // Lower bound only: the retry did not come before RxScale allowed it.
      expect(Date.parse(seen[1]!.at) - Date.parse(seen[0]!.at)).toBeGreaterThanOrEqual(950);
    });

    it('backs off on a 429 without Retry-After, and reports a persistent one as a rate-limit error', async () => {
      await sandboxAdminOk(sb, 'POST', '/faults', {
        kind: 'rate_limit',
        count: 1,
        endpoint: { path: '/health/' },
      });
      await client().health();
      await sandboxAdminOk(sb, 'POST', '/faults', { kind: 'rate_limit', endpoint: { path: '/health/' } });
      const error = await client({ retry: { maxAttempts: 3, baseDelayMs: 10 } })
        .health()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleRateLimitError);
      expect(error).toMatchObject({
        status: 429,
        retryAfterMs: undefined,
        attempts: 3,
        errorMessage: 'Rate limit exceeded',
      });
    });

    it('times out a hung call', async () => {
      await sandboxAdminOk(sb, 'POST', '/faults', {
        kind: 'hang',
        ms: 10_000,
        endpoint: { path: '/health/' },
      });
      const error = await client({ timeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 10 } })
        .health()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleTimeoutError);
      expect(error).toMatchObject({ timeoutMs: 300, attempts: 2 });
    });
  });

  describe('answers the sandbox cannot give (a real HTTP server)', () => {
    let server: Server;
    let answer: { status: number; body: string };
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));
    const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    it('malformed JSON in a 200 is a schema error', async () => {
      answer = { status: 200, body: '{"data": [' };
      await expect(client({ baseUrl: url() }).listPharmacySkus()).rejects.toMatchObject({
        code: 'schema_mismatch',
        path: '',
      });
    });

    it('an order without its status is a schema error naming the field, not the patient', async () => {
      answer = {
        status: 200,
        body: JSON.stringify({
          uid: 'po-1',
          pharmacy: { uid: 'ph-a1', display_name: 'Apotheke A1' },
          order: { uid: 'ord-1' },
          order_items: [],
          patient_data: { uid: 'pat-1', display_name: 'Erika Musterfrau' },
        }),
      };
      const error = await client({ baseUrl: url() })
        .getPharmacyOrder('po-1')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleSchemaError);
      expect(error).toMatchObject({ path: 'status', status: 200, retryable: false });
      expect((error as Error).message).not.toContain('Musterfrau');
    });

    it('422 is its own error class', async () => {
      answer = { status: 422, body: JSON.stringify({ error: 'Invalid content' }) };
      await expect(client({ baseUrl: url() }).completePharmacyOrder('po-1')).rejects.toBeInstanceOf(
        RxScaleUnprocessableError,
      );
    });
  });
});
