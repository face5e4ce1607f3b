import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  PharmacyOrderCreatedEvent,
  PharmacyOrderUpdatedEvent,
  PharmacySkuStockUpdatedEvent,
  WebhookRegisterResponse,
  WebhookSubscriptionList,
} from '@rxbridge/rxscale-contract';
import { waitFor } from '@rxbridge/testing';
import type { RunningSandbox } from '../src/index.js';
import {
  admin,
  api,
  createOrder,
  deliveries,
  setupChain,
  startReceiver,
  startTestSandbox,
  type Received,
} from './helpers.js';

/** Independent of the sandbox's code: HMAC-SHA256 over the raw bytes received, lowercase hex (API.md §11.4). */
function signatureValid(r: Received, secret: string): boolean {
  const header = r.headers['x-webhook-signature'];
  if (typeof header !== 'string' || !/^[0-9a-f]{64}$/.test(header)) return false;
  const expected = createHmac('sha256', secret).update(r.raw).digest();
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}

describe('RxScale sandbox: webhooks', () => {
  let sb: RunningSandbox;
  let keys: Awaited<ReturnType<typeof setupChain>>['keys'];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let status: (n: number) => number;

  beforeEach(async () => {
    sb = await startTestSandbox({ rateLimit: false });
    ({ keys } = await setupChain(sb));
    status = () => 200;
    receiver = await startReceiver((n) => status(n));
  });
  afterEach(async () => {
    await sb.close();
    await receiver.close();
  });

  const register = async (notification_type: string, key = keys.a1, target = receiver.url) => {
    const res = await api(sb, 'POST', '/webhooks/', { key, body: { target, notification_type } });
    expect(res.status).toBe(201);
    return WebhookRegisterResponse.parse(res.body);
  };
  const order = () =>
    createOrder(sb, { pharmacy_uid: 'ph-a1', items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 2 }] });
  const settled = () => waitFor(async () => (await deliveries(sb)).idle, 'webhook deliveries to settle');

  describe('subscriptions (API.md §7.10-§7.12)', () => {
    it('shows the whsec_ secret once, lists without it, refuses duplicates and deletes with 204', async () => {
      const sub = await register('pharmacy_order_created');
      expect(sub.signing_secret).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
      const list = await api(sb, 'GET', '/webhooks/', { key: keys.a1 });
      expect(WebhookSubscriptionList.parse(list.body)).toEqual([
        { uid: sub.uid, target: receiver.url, notification_type: 'pharmacy_order_created' },
      ]);
      expect(JSON.stringify(list.body)).not.toContain('whsec_');
      const dup = await api(sb, 'POST', '/webhooks/', {
        key: keys.a1,
        body: { target: receiver.url, notification_type: 'pharmacy_order_created' },
      });
      expect(dup.status).toBe(409);
      expect((await api(sb, 'GET', '/webhooks/', { key: keys.a2 })).body).toEqual([]);
      expect((await api(sb, 'DELETE', `/webhooks/${sub.uid}`, { key: keys.a2 })).status).toBe(404);
      const del = await api(sb, 'DELETE', `/webhooks/${sub.uid}`, { key: keys.a1 });
      expect(del).toMatchObject({ status: 204, body: undefined });
      expect((await api(sb, 'GET', '/webhooks/', { key: keys.a1 })).body).toEqual([]);
    });

    it('refuses a bad target or event type with 400', async () => {
      for (const body of [
        { target: 'not-a-url', notification_type: 'pharmacy_order_created' },
        { target: receiver.url, notification_type: 'appointment_reminder_due' },
        { notification_type: 'pharmacy_order_created' },
      ]) {
        const res = await api(sb, 'POST', '/webhooks/', { key: keys.a1, body });
        expect(res.status).toBe(400);
      }
    });

    it('scopes a group key’s subscription to the pharmacy named by pharmacy_uid', async () => {
      const res = await api(sb, 'POST', '/webhooks/?pharmacy_uid=ph-a2', {
        key: keys.groupA,
        body: { target: receiver.url, notification_type: 'pharmacy_order_created' },
      });
      expect(res.status).toBe(201);
      expect((await api(sb, 'GET', '/webhooks/', { key: keys.a2 })).body).toHaveLength(1);
      expect((await api(sb, 'GET', '/webhooks/', { key: keys.a1 })).body).toHaveLength(0);
    });
  });

  describe('delivery (API.md §11)', () => {
    it('POSTs pharmacy_order_created with the documented headers, envelope and a valid signature', async () => {
      const sub = await register('pharmacy_order_created');
      const other = await register('pharmacy_order_updated');
      const uid = await order();
      await waitFor(() => receiver.received.length === 1 && true, 'the created event');
      const [r] = receiver.received;
      if (!r) throw new Error('nothing received');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-webhook-event']).toBe('pharmacy_order_created');
      expect(signatureValid(r, sub.signing_secret)).toBe(true);
      expect(signatureValid(r, other.signing_secret)).toBe(false);
      const event = PharmacyOrderCreatedEvent.parse(r.json);
      expect(event).toMatchObject({ event_type: 'pharmacy_order_created', payload_version: '1' });
      expect(event.data.uid).toBe(uid);
      expect(event.data.order_items[0]?.pharmacy_sku?.uid).toBe('psku-a1-1');
      expect(Object.keys(r.json).sort()).toEqual(['data', 'event_type', 'payload_version', 'timestamp']);
      await settled();
      const [d] = (await deliveries(sb)).deliveries;
      expect(d).toMatchObject({ state: 'delivered', eventType: 'pharmacy_order_created', dataUid: uid });
      expect(d?.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 200, error: null })]);
    });

    it('sends pharmacy_order_updated for a status change, a cancellation and a completion', async () => {
      await register('pharmacy_order_updated');
      const uid = await order();
      await api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, {
        key: keys.a1,
        body: { status: 'pending review' },
      });
      const cancelled = await order();
      expect(
        (await admin(sb, 'POST', `/orders/${cancelled}/cancel`, { reason: 'patient withdrew' })).status,
      ).toBe(200);
      for (const s of ['in-progress', 'ready_for_pickup'])
        await api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, { key: keys.a1, body: { status: s } });
      await api(sb, 'PATCH', `/pharmacy_orders/${uid}/complete_order`, { key: keys.a1, body: {} });
      await waitFor(() => receiver.received.length === 5 && true, 'five updated events');
      const events = receiver.received.map((r) => PharmacyOrderUpdatedEvent.parse(r.json));
      expect(events.map((e) => [e.data.uid, e.data.status])).toEqual([
        [uid, 'pending review'],
        [cancelled, 'cancelled'],
        [uid, 'in-progress'],
        [uid, 'ready_for_pickup'],
        [uid, 'completed'],
      ]);
      expect((await admin(sb, 'POST', `/orders/${cancelled}/cancel`, {})).status).toBe(409);
    });

    it('does not echo the pharmacy’s own status change when that is switched off', async () => {
      await register('pharmacy_order_updated');
      expect(
        (await admin(sb, 'PATCH', '/settings', { echoStatusChanges: false })).body.echoStatusChanges,
      ).toBe(false);
      const uid = await order();
      await api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, {
        key: keys.a1,
        body: { status: 'pending review' },
      });
      await admin(sb, 'POST', `/orders/${uid}/cancel`, {});
      await waitFor(() => receiver.received.length === 1 && true, 'the cancel event');
      await settled();
      expect(receiver.received.map((r) => r.json.data.status)).toEqual(['cancelled']);
    });

    it('sends pharmacy_sku_stock_updated for a portal stock change, not for the pharmacy’s own PATCH', async () => {
      const sub = await register('pharmacy_sku_stock_updated');
      await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/stock', { key: keys.a1, body: { stock: 3 } });
      const portal = await admin(sb, 'PATCH', '/pharmacy-skus/psku-a1-1/stock', { stock: 11 });
      expect(portal.status).toBe(200);
      await waitFor(() => receiver.received.length === 1 && true, 'the stock event');
      await settled();
      expect(receiver.received).toHaveLength(1);
      const r = receiver.received[0]!;
      expect(signatureValid(r, sub.signing_secret)).toBe(true);
      expect(PharmacySkuStockUpdatedEvent.parse(r.json).data).toMatchObject({
        uid: 'psku-a1-1',
        stock: 11,
        pharmacy: 'ph-a1',
      });
    });

    it('retries a 500 with backoff until 2xx, recording every attempt', async () => {
      await register('pharmacy_order_created');
      status = (n) => (n < 3 ? 500 : 200);
      await order();
      await waitFor(() => receiver.received.length === 3 && true, 'three attempts');
      await settled();
      const [d] = (await deliveries(sb)).deliveries;
      expect(d?.state).toBe('delivered');
      expect(d?.attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([
        [1, 500, 'receiver answered 500'],
        [2, 500, 'receiver answered 500'],
        [3, 200, null],
      ]);
      // Every attempt carries the same signed bytes.
      expect(new Set(receiver.received.map((r) => r.raw.toString('utf8'))).size).toBe(1);
    });

    it('gives up after the configured number of attempts, and records an unreachable receiver', async () => {
      await register('pharmacy_order_created');
      status = () => 503;
      await order();
      await settled();
      const [d] = (await deliveries(sb)).deliveries;
      expect(d?.state).toBe('failed');
      expect(d?.attempts).toHaveLength(4);
      await receiver.close();
      await order();
      await settled();
      const second = (await deliveries(sb)).deliveries[1];
      expect(second?.state).toBe('failed');
      expect(second?.attempts[0]).toMatchObject({ status: null });
      expect(second?.attempts[0]?.error).toMatch(/ECONNREFUSED|fetch failed/);
      receiver = await startReceiver();
    });
  });

  describe('delivery faults', () => {
    it('duplicates a delivery', async () => {
      await register('pharmacy_order_created');
      expect((await admin(sb, 'POST', '/faults', { kind: 'webhook_duplicate', count: 1 })).status).toBe(201);
      const uid = await order();
      await waitFor(() => receiver.received.length === 2 && true, 'two copies');
      await settled();
      expect(receiver.received.map((r) => r.json.data.uid)).toEqual([uid, uid]);
      expect(receiver.received[0]!.raw.equals(receiver.received[1]!.raw)).toBe(true);
      expect((await deliveries(sb)).deliveries.map((d) => d.duplicate)).toEqual([false, true]);
      expect((await admin(sb, 'GET', '/faults')).body).toEqual([]);
    });

    it('holds one delivery back and sends it after the next (out of order)', async () => {
      await register('pharmacy_order_created');
      await admin(sb, 'POST', '/faults', { kind: 'webhook_out_of_order', count: 1 });
      const first = await order();
      const second = await order();
      await waitFor(() => receiver.received.length === 2 && true, 'both events');
      expect(receiver.received.map((r) => r.json.data.uid)).toEqual([second, first]);
      await settled();
      expect((await deliveries(sb)).deliveries.find((d) => d.dataUid === first)?.reordered).toBe(true);
    });

    it('drops a delivery, recording it as dropped', async () => {
      await register('pharmacy_order_created');
      await admin(sb, 'POST', '/faults', { kind: 'webhook_drop', count: 1 });
      const dropped = await order();
      const delivered = await order();
      await waitFor(() => receiver.received.length === 1 && true, 'the second event');
      await settled();
      expect(receiver.received.map((r) => r.json.data.uid)).toEqual([delivered]);
      const list = (await deliveries(sb)).deliveries;
      expect(list.find((d) => d.dataUid === dropped)).toMatchObject({ state: 'dropped', attempts: [] });
    });

    it('delays deliveries of one event type only', async () => {
      await register('pharmacy_order_created');
      await register('pharmacy_sku_stock_updated');
      await admin(sb, 'POST', '/faults', {
        kind: 'webhook_latency',
        eventType: 'pharmacy_order_created',
        ms: 1000,
        count: 1,
      });
      await order();
      await admin(sb, 'PATCH', '/pharmacy-skus/psku-a1-2/stock', { stock: 9 });
      await waitFor(() => receiver.received.length === 2 && true, 'both events');
      // The stock event was raised second but arrives first: only order events were delayed.
      expect(receiver.received.map((r) => r.json.event_type)).toEqual([
        'pharmacy_sku_stock_updated',
        'pharmacy_order_created',
      ]);
    });
  });
});
