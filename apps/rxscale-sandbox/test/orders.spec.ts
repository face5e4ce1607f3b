import {
  PayoutPage,
  PharmacyOrder,
  PharmacyOrderPage,
  PharmacySkuPage,
  ValidationErrorBody,
} from '@rxbridge/rxscale-contract';
import type { RunningSandbox, StatusChange } from '../src/index.js';
import { admin, api, createOrder, setupChain, startTestSandbox, statusHistory } from './helpers.js';

describe('RxScale sandbox: orders, status flow and stock', () => {
  let sb: RunningSandbox;
  let keys: Awaited<ReturnType<typeof setupChain>>['keys'];

  beforeAll(async () => {
    sb = await startTestSandbox({ rateLimit: false });
    ({ keys } = await setupChain(sb));
  });
  afterAll(() => sb.close());

  const setStatus = (uid: string, body: unknown, key = keys.a1) =>
    api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, { key, body });
  const newOrder = () =>
    createOrder(sb, {
      pharmacy_uid: 'ph-a1',
      items: [
        { pharmacy_sku_uid: 'psku-a1-1', amount: 3 },
        { pharmacy_sku_uid: 'psku-a1-2', amount: 2 },
      ],
    });

  describe('status flow (API.md §9)', () => {
    it('walks the happy path and records every change with who, what and when', async () => {
      const uid = await newOrder();
      for (const status of ['pending review', 'in-progress', 'ready_for_pickup']) {
        const res = await setStatus(uid, { status });
        expect(res.status).toBe(200);
        expect(PharmacyOrder.parse(res.body).status).toBe(status);
      }
      const history = await statusHistory(sb, uid);
      expect(history.map((h) => [h.from, h.to])).toEqual([
        [null, 'waiting for pharmacy'],
        ['waiting for pharmacy', 'pending review'],
        ['pending review', 'in-progress'],
        ['in-progress', 'ready_for_pickup'],
      ]);
      expect(history[1]).toMatchObject({ via: 'PATCH /status' });
      expect(history[1]?.by).toMatch(/^api-key:key-/);
      expect(typeof history[1]?.at).toBe('number');
    });

    it('refuses a transition the flow does not allow with 409, changing nothing', async () => {
      const uid = await newOrder();
      const res = await setStatus(uid, { status: 'ready_for_pickup' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        error: "Status transition from 'waiting for pharmacy' to 'ready_for_pickup' is not allowed",
      });
      expect((await admin(sb, 'GET', `/orders/${uid}`)).body.status).toBe('waiting for pharmacy');
      expect(await statusHistory(sb, uid)).toHaveLength(1);
    });

    it('requires a non-blank comment for on-hold, and keeps it in the history', async () => {
      const uid = await newOrder();
      for (const body of [{ status: 'on-hold' }, { status: 'on-hold', comment: '  ' }]) {
        const res = await setStatus(uid, body);
        expect(res.status).toBe(400);
        expect(ValidationErrorBody.parse(res.body).details).toEqual([
          {
            field: 'comment',
            message: 'comment is required and must not be blank when the status is on-hold',
          },
        ]);
      }
      const held = await setStatus(uid, {
        status: 'on-hold',
        comment: 'Wholesaler cannot deliver PZN 06312077',
      });
      expect(held.status).toBe(200);
      const history = await statusHistory(sb, uid);
      expect(history.at(-1)).toMatchObject({
        to: 'on-hold',
        comment: 'Wholesaler cannot deliver PZN 06312077',
      });
      expect((await setStatus(uid, { status: 'in-progress' })).status).toBe(200);
    });

    it('refuses completed, unknown and system statuses on /status with 400', async () => {
      const uid = await newOrder();
      for (const status of ['completed', 'shipped', 'waiting for pharmacy']) {
        const res = await setStatus(uid, { status });
        expect([status, res.status]).toEqual([status, 400]);
        expect(res.body.details[0].field).toBe('status');
      }
      expect((await setStatus(uid, {})).status).toBe(400);
    });

    it('treats repeating the current status as a no-op (safe retries)', async () => {
      const uid = await newOrder();
      expect((await setStatus(uid, { status: 'pending review' })).status).toBe(200);
      expect((await setStatus(uid, { status: 'pending review' })).status).toBe(200);
      expect(await statusHistory(sb, uid)).toHaveLength(2);
    });

    it('lets the pharmacy cancel an open order, and nothing moves a cancelled one', async () => {
      const uid = await newOrder();
      expect((await setStatus(uid, { status: 'cancelled' })).status).toBe(200);
      expect((await setStatus(uid, { status: 'pending review' })).status).toBe(409);
      const complete = await api(sb, 'PATCH', `/pharmacy_orders/${uid}/complete_order`, {
        key: keys.a1,
        body: {},
      });
      expect(complete.status).toBe(409);
    });
  });

  describe('complete_order (API.md §7.5)', () => {
    it('completes a ready order, reduces each line’s stock by its amount and routes the payouts', async () => {
      const before = PharmacySkuPage.parse((await api(sb, 'GET', '/pharmacy_skus/', { key: keys.a1 })).body);
      const stockOf = (page: PharmacySkuPage, uid: string) => page.data.find((s) => s.uid === uid)?.stock;
      const uid = await newOrder();
      for (const status of ['pending review', 'in-progress', 'ready_for_pickup'])
        await setStatus(uid, { status });
      const res = await api(sb, 'PATCH', `/pharmacy_orders/${uid}/complete_order`, {
        key: keys.a1,
        body: {
          carrier: 'DHL',
          tracking_number: '00340434161094042557',
          tracking_url: 'https://track.example/0034',
        },
      });
      expect(res.status).toBe(200);
      expect(PharmacyOrder.parse(res.body).status).toBe('completed');
      const after = PharmacySkuPage.parse((await api(sb, 'GET', '/pharmacy_skus/', { key: keys.a1 })).body);
      expect(stockOf(after, 'psku-a1-1')).toBe((stockOf(before, 'psku-a1-1') ?? 0) - 3);
      expect(stockOf(after, 'psku-a1-2')).toBe((stockOf(before, 'psku-a1-2') ?? 0) - 2);
      const view = (await admin(sb, 'GET', `/orders/${uid}`)).body;
      expect(view.shipment).toMatchObject({ carrier: 'DHL', tracking_number: '00340434161094042557' });
      expect((view.status_history as StatusChange[]).at(-1)).toMatchObject({
        from: 'ready_for_pickup',
        to: 'completed',
        via: 'PATCH /complete_order',
      });
      const payouts = PayoutPage.parse(
        (await api(sb, 'GET', `/payouts?status=routed&search=${uid}`, { key: keys.a1 })).body,
      );
      expect(payouts.data.map((p) => p.pharmacy_order_uid)).toEqual([uid]);
      // A retried complete_order does not reduce the stock twice.
      expect(
        (await api(sb, 'PATCH', `/pharmacy_orders/${uid}/complete_order`, { key: keys.a1, body: {} })).status,
      ).toBe(200);
      const again = PharmacySkuPage.parse((await api(sb, 'GET', '/pharmacy_skus/', { key: keys.a1 })).body);
      expect(stockOf(again, 'psku-a1-1')).toBe(stockOf(after, 'psku-a1-1'));
    });

    it('refuses complete_order before ready_for_pickup (409) and a bad tracking URL (400)', async () => {
      const uid = await newOrder();
      const early = await api(sb, 'PATCH', `/pharmacy_orders/${uid}/complete_order`, {
        key: keys.a1,
        body: {},
      });
      expect(early.status).toBe(409);
      expect(early.body.error).toContain("from status 'waiting for pharmacy'");
      const bad = await api(sb, 'PATCH', `/pharmacy_orders/${uid}/complete_order`, {
        key: keys.a1,
        body: { tracking_url: 'not a url' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe('tracking_url');
    });

    it('accepts complete_order without a body (a pickup order has no tracking)', async () => {
      const uid = await newOrder();
      for (const status of ['pending review', 'in-progress', 'ready_for_pickup'])
        await setStatus(uid, { status });
      const res = await fetch(`${sb.apiUrl()}/pharmacy_orders/${uid}/complete_order`, {
        method: 'PATCH',
        headers: { 'x-api-key': keys.a1 },
      });
      expect(res.status).toBe(200);
    });

    it('cannot be done by /status with completed', async () => {
      const uid = await newOrder();
      for (const status of ['pending review', 'in-progress', 'ready_for_pickup'])
        await setStatus(uid, { status });
      expect((await setStatus(uid, { status: 'completed' })).status).toBe(400);
      expect((await admin(sb, 'GET', `/orders/${uid}`)).body.status).toBe('ready_for_pickup');
    });
  });

  describe('lists (API.md §4, §7.2)', () => {
    let page: RunningSandbox;
    let key: string;

    beforeAll(async () => {
      page = await startTestSandbox({ rateLimit: false });
      await admin(page, 'POST', '/pharmacies', { uid: 'ph-p', display_name: 'Paging' });
      key = (
        await admin(page, 'POST', '/api-keys', {
          name: 'p',
          pharmacy_uid: 'ph-p',
          permissions: ['orders_read', 'stock_read'],
        })
      ).body.key;
      await admin(page, 'POST', '/skus', { uid: 'sku-p', display_name: 'P', pzn: '12345678' });
      await admin(page, 'POST', '/pharmacy-skus', {
        uid: 'psku-p',
        pharmacy_uid: 'ph-p',
        sku_uid: 'sku-p',
        price: 1,
        stock: 1000,
      });
      for (let i = 0; i < 230; i++)
        await admin(page, 'POST', '/orders', {
          uid: `po-p-${String(i).padStart(3, '0')}`,
          pharmacy_uid: 'ph-p',
          shop_order_name: `#${70000 + i}`,
          items: [{ pharmacy_sku_uid: 'psku-p', amount: 1 }],
        });
    });
    afterAll(() => page.close());

    const list = async (query: string) =>
      PharmacyOrderPage.parse((await api(page, 'GET', `/pharmacy_orders/${query}`, { key })).body);

    it('pages zero-based with limit 50 by default', async () => {
      const first = await list('');
      expect(first).toMatchObject({ totalRegistries: 230, totalPages: 5 });
      expect(first.data).toHaveLength(50);
      expect(first.data[0]?.uid).toBe('po-p-000');
      const last = await list('?page=4');
      expect(last.data.map((o) => o.uid)).toEqual(
        Array.from({ length: 30 }, (_, i) => `po-p-${String(200 + i).padStart(3, '0')}`),
      );
      expect((await list('?page=5')).data).toEqual([]);
    });

    it('caps limit at 200 silently', async () => {
      const capped = await list('?limit=1000');
      expect(capped.data).toHaveLength(200);
      expect(capped.totalPages).toBe(2);
    });

    it('pages without losing or repeating an order', async () => {
      const seen: string[] = [];
      for (let p = 0; p < 3; p++) seen.push(...(await list(`?page=${p}&limit=100`)).data.map((o) => o.uid));
      expect(new Set(seen).size).toBe(230);
    });

    it('filters by exact status and by case-insensitive search', async () => {
      expect((await list('?status=completed')).totalRegistries).toBe(0);
      expect((await list('?status=waiting%20for%20pharmacy')).totalRegistries).toBe(230);
      expect((await list('?search=%2370005')).data.map((o) => o.uid)).toEqual(['po-p-005']);
      expect((await list('?search=PO-P-01')).totalRegistries).toBe(10);
    });

    it('refuses a negative page, a zero limit and an unknown status filter with 400', async () => {
      for (const q of ['?page=-1', '?limit=0', '?limit=abc', '?status=shipped']) {
        const res = await api(page, 'GET', `/pharmacy_orders/${q}`, { key });
        expect([q, res.status]).toEqual([q, 400]);
      }
    });
  });
});
