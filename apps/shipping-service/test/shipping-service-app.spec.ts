import { randomUUID } from 'node:crypto';
import { INVENTED_PERSON_MARKERS, requestJson, waitFor, type JsonAnswer } from '@rxbridge/testing';
import { createShippingServiceApp } from '../src/shipping-service-app.js';
import {
  ADDRESS,
  cancelled,
  orderUid,
  ready,
  received,
  startShippingService,
  TOKENS,
  type RunningShippingService,
} from './support/shipping-app-kit.js';

interface ShipmentAnswer {
  shipment_uid: string;
  pharmacy_order_uid: string;
  state: string;
  fulfilment: string;
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  flag_reason: string | null;
  history?: { to_state: string }[];
}
interface ErrorAnswer {
  error: { code: string; message: string; details?: { field: string; issue: string; message: string }[] };
}

const DHL = {
  carrier: 'dhl',
  tracking_number: '00340434161094042557',
  tracking_url:
    'https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557',
};

describe(createShippingServiceApp.name, () => {
  let svc: RunningShippingService;

  beforeAll(async () => {
    svc = await startShippingService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  const call = <T = ShipmentAnswer>(
    method: string,
    path: string,
    options: { token?: string | null; body?: unknown; key?: string | null } = {},
  ): Promise<JsonAnswer<T>> => {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? TOKENS.desk.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (method !== 'GET' && options.key !== null) headers['idempotency-key'] = options.key ?? randomUUID();
    return requestJson<T>(`${svc.url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
  };
  const shipmentOf = (uid: string) => call('GET', `/shipments/${uid}`);
  const expected = (uid: string) =>
    waitFor(async () => (await shipmentOf(uid)).status === 200, `shipment of ${uid} expected`);
  const eventsOf = (uid: string) => svc.published.filter((r) => r.key === uid);
  const counts = async () =>
    (
      await svc.dataSource.query<Record<string, number>[]>(`
        SELECT (SELECT count(*)::int FROM shipping_order) AS orders, (SELECT count(*)::int FROM shipment) AS shipments,
               (SELECT count(*)::int FROM shipment_history) AS history, (SELECT count(*)::int FROM outbox) AS outbox,
               (SELECT count(*)::int FROM delivery_address) AS addresses`)
    )[0];

  async function readyOrder(deliveryType = 'shipping'): Promise<string> {
    const uid = orderUid();
    await svc.publishOrderEvent(received(uid, deliveryType));
    await svc.publishOrderEvent(ready(uid));
    await expected(uid);
    return uid;
  }

  describe('following pharmacy.orders.v1', () => {
    it('expects a shipment for an order that ships, with its address fetched once and stored encrypted', async () => {
      const uid = await readyOrder();
      const answer = await shipmentOf(uid);
      expect(answer.body).toMatchObject({ state: 'expected', fulfilment: 'shipment', carrier: null });
      expect(JSON.stringify(answer.body)).not.toContain(ADDRESS.street);
      expect(svc.orderService.requests.filter((r) => r === uid)).toHaveLength(1);
      const [row] = await svc.dataSource.query<{ envelope: string }[]>(
        'SELECT envelope FROM delivery_address WHERE pharmacy_order_uid = $1',
        [uid],
      );
      expect(row!.envelope).toMatch(/^v1\.test\./);
      for (const part of [ADDRESS.first_name, ADDRESS.last_name, ADDRESS.street, ADDRESS.city]) {
        expect(row!.envelope).not.toContain(part);
      }
    });

    it('expects a hand-over for a pickup order and asks order-service for no address', async () => {
      const uid = await readyOrder('Pickup');
      expect((await shipmentOf(uid)).body).toMatchObject({ state: 'expected', fulfilment: 'hand-over' });
      expect(svc.orderService.requests).not.toContain(uid);
      expect(
        await svc.dataSource.query('SELECT 1 FROM delivery_address WHERE pharmacy_order_uid = $1', [uid]),
      ).toEqual([]);
    });

    it('retries the ready record while order-service is unreachable and expects the shipment once it answers', async () => {
      svc.orderService.down = true;
      const uid = orderUid();
      try {
        await svc.publishOrderEvent(received(uid));
        await svc.publishOrderEvent(ready(uid));
        await waitFor(
          () => svc.orderService.requests.filter((r) => r === uid).length >= 3,
          'the address asked for again',
        );
        expect((await shipmentOf(uid)).status).toBe(404);
      } finally {
        svc.orderService.down = false;
      }
      await expected(uid);
      const [row] = await svc.dataSource.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM delivery_address WHERE pharmacy_order_uid = $1',
        [uid],
      );
      expect(row!.n).toBe(1);
    });

    it('dead-letters a ready order it never received, and one order-service does not know', async () => {
      const neverReceived = orderUid();
      await svc.publishOrderEvent(ready(neverReceived));
      const unknownThere = orderUid();
      svc.orderService.unknown.add(unknownThere);
      await svc.publishOrderEvent(received(unknownThere));
      await svc.publishOrderEvent(ready(unknownThere));
      // the group reads the topic from its beginning: other runs' records are there too, so filter by uid
      const mine = () => svc.deadLetters.filter((d) => d.key === neverReceived || d.key === unknownThere);
      await waitFor(() => mine().length >= 2, 'two dead letters');
      expect(mine()).toEqual(
        expect.arrayContaining([
          { key: neverReceived, code: 'order_not_found' },
          { key: unknownThere, code: 'order_unknown_to_order_service' },
        ]),
      );
      expect(mine()).toHaveLength(2);
      expect((await shipmentOf(unknownThere)).status).toBe(404);
    });
  });

  describe('the shipping desk', () => {
    it('dispatches over HTTP and publishes dispatched with the tracking once, then delivered', async () => {
      const uid = await readyOrder();
      const key = randomUUID();
      const first = await call('POST', `/shipments/${uid}/dispatch`, { body: DHL, key });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        state: 'dispatched',
        carrier: 'DHL',
        tracking_number: DHL.tracking_number,
        tracking_url: DHL.tracking_url,
      });
      // the same key and body: the first answer again, nothing recorded twice
      const replay = await call('POST', `/shipments/${uid}/dispatch`, { body: DHL, key });
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(first.body);
      // the same key with another body is refused
      const other = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, {
        body: { ...DHL, tracking_number: 'JJD0099999999' },
        key,
      });
      expect(other.status).toBe(422);
      // another key, the same shipment: an idempotent repeat; another tracking number: a conflict
      expect((await call('POST', `/shipments/${uid}/dispatch`, { body: DHL })).status).toBe(200);
      const conflict = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, {
        body: { ...DHL, tracking_number: 'JJD0099999999' },
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('shipment_already_dispatched');

      await waitFor(() => eventsOf(uid).length === 1, 'dispatched on pharmacy.shipments.v1');
      const delivered = await call('POST', `/shipments/${uid}/delivered`, { body: {} });
      expect(delivered.status).toBe(200);
      expect(delivered.body.state).toBe('delivered');
      await waitFor(() => eventsOf(uid).length === 2, 'delivered on pharmacy.shipments.v1');
      expect(eventsOf(uid).map((e) => e.type)).toEqual([
        'pharmacy.shipment.dispatched',
        'pharmacy.shipment.delivered',
      ]);
      expect(eventsOf(uid)[0]!.data).toMatchObject({
        pharmacy_order_uid: uid,
        carrier: 'DHL',
        tracking_number: DHL.tracking_number,
        tracking_url: DHL.tracking_url,
      });
      const one = await shipmentOf(uid);
      expect(one.body.history?.map((h) => h.to_state)).toEqual(['expected', 'dispatched', 'delivered']);
    });

    it('hands a pickup order over and publishes handed-over', async () => {
      const uid = await readyOrder('pickup');
      const answer = await call('POST', `/shipments/${uid}/hand-over`);
      expect(answer.status).toBe(200);
      expect(answer.body.state).toBe('handed-over');
      await waitFor(() => eventsOf(uid).length === 1, 'handed-over published');
      expect(eventsOf(uid)[0]!.type).toBe('pharmacy.shipment.handed-over');
      const wrong = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, { body: DHL });
      expect(wrong.status).toBe(409);
      expect(wrong.body.error.code).toBe('delivery_type_mismatch');
    });

    it('stops a shipment cancelled before it left, flags one cancelled after, and lists the flagged', async () => {
      const before = await readyOrder();
      const after = await readyOrder();
      expect((await call('POST', `/shipments/${after}/dispatch`, { body: DHL })).status).toBe(200);
      await svc.publishOrderEvent(cancelled(before));
      await svc.publishOrderEvent(cancelled(after));
      await waitFor(async () => (await shipmentOf(before)).body.state === 'stopped', 'stopped');
      await waitFor(async () => (await shipmentOf(after)).body.state === 'flagged', 'flagged');
      await waitFor(() => eventsOf(before).length === 1 && eventsOf(after).length === 2, 'events');
      expect(eventsOf(before).map((e) => e.type)).toEqual(['pharmacy.shipment.stopped']);
      expect(eventsOf(after).map((e) => e.type)).toEqual([
        'pharmacy.shipment.dispatched',
        'pharmacy.shipment.flagged',
      ]);
      expect(eventsOf(after)[1]!.data).toMatchObject({ tracking_number: DHL.tracking_number });

      const flagged = await call<{ items: ShipmentAnswer[]; next_cursor: string | null }>(
        'GET',
        `/shipments?state=flagged&q=${after}`,
      );
      expect(flagged.status).toBe(200);
      expect(flagged.body.items.map((s) => [s.pharmacy_order_uid, s.state])).toEqual([[after, 'flagged']]);
      expect(flagged.body.items[0]!.flag_reason).toMatch(/recall/);
      // the desk can do nothing more with a stopped shipment
      const refused = await call<ErrorAnswer>('POST', `/shipments/${before}/dispatch`, { body: DHL });
      expect([refused.status, refused.body.error.code]).toEqual([409, 'order_cancelled']);
    });

    it('refuses a shipment for an unknown, a not yet ready or a cancelled order, writing nothing', async () => {
      const notReady = orderUid();
      await svc.publishOrderEvent(received(notReady));
      const cancelledOrder = orderUid();
      await svc.publishOrderEvent(received(cancelledOrder));
      await svc.publishOrderEvent(cancelled(cancelledOrder));
      await waitFor(
        async () =>
          (
            await svc.dataSource.query<{ status: string }[]>(
              'SELECT status FROM shipping_order WHERE pharmacy_order_uid = $1',
              [cancelledOrder],
            )
          )[0]?.status === 'cancelled',
        'the cancellation remembered',
      );
      const before = await counts();
      const cases = [
        [orderUid(), 404, 'order_not_found'],
        [notReady, 409, 'order_not_ready'],
        [cancelledOrder, 409, 'order_cancelled'],
      ] as const;
      for (const [uid, status, code] of cases) {
        const answer = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, { body: DHL });
        expect([answer.status, answer.body.error.code]).toEqual([status, code]);
        expect(answer.body.error.message.length).toBeGreaterThan(10);
      }
      expect(await counts()).toEqual(before);
    });

    it('refuses bad input with 422, naming the fields and never the values, and writes nothing', async () => {
      const uid = await readyOrder();
      const before = await counts();
      const bad = [
        [{ ...DHL, carrier: 'Rohrpost Erfundenhausen' }, 'carrier'],
        [{ ...DHL, tracking_url: 'http://www.dhl.de/track?piececode=1' }, 'tracking_url'],
        [{ ...DHL, tracking_number: 'Testine' }, 'tracking_number'],
      ] as const;
      for (const [body, field] of bad) {
        const answer = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, { body });
        expect(answer.status).toBe(422);
        expect(answer.body.error.details?.map((d) => d.field)).toEqual([field]);
        const text = JSON.stringify(answer.body);
        for (const value of ['Rohrpost', 'Erfundenhausen', 'http://www.dhl.de', 'Testine']) {
          expect(text).not.toContain(value);
        }
      }
      // a wrong shape (unknown field, wrong type) is the edge's 400
      const shape = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, {
        body: { ...DHL, recipient: 'x' },
      });
      expect(shape.status).toBe(400);
      expect(await counts()).toEqual(before);
      expect((await shipmentOf(uid)).body.state).toBe('expected');
    });

    it('asks for a token with the right scope, and an idempotency key on writes', async () => {
      const uid = await readyOrder();
      expect((await call('POST', `/shipments/${uid}/dispatch`, { token: null, body: DHL })).status).toBe(401);
      expect(
        (await call('POST', `/shipments/${uid}/dispatch`, { token: TOKENS.reader.token, body: DHL })).status,
      ).toBe(403);
      expect((await call('GET', `/shipments/${uid}`, { token: TOKENS.operator.token })).status).toBe(403);
      expect((await call('GET', `/shipments/${uid}`, { token: TOKENS.reader.token })).status).toBe(200);
      const noKey = await call<ErrorAnswer>('POST', `/shipments/${uid}/dispatch`, { body: DHL, key: null });
      expect(noKey.status).toBe(400);
      expect((await call('POST', '/operations/retention', { token: TOKENS.desk.token })).status).toBe(403);
    });

    it('pages the list with a cursor', async () => {
      const uids = [await readyOrder(), await readyOrder(), await readyOrder()];
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const page: JsonAnswer<{ items: ShipmentAnswer[]; next_cursor: string | null }> = await call(
          'GET',
          `/shipments?state=expected&limit=2${query}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((s) => s.pharmacy_order_uid));
        cursor = page.body.next_cursor;
      } while (cursor);
      for (const uid of uids) expect(seen.filter((s) => s === uid)).toHaveLength(1);
      expect((await call<ErrorAnswer>('GET', '/shipments?cursor=bogus')).status).toBe(400);
    });
  });

  describe('operations, metrics and logs', () => {
    it('purges delivery addresses after the retention on the operator route', async () => {
      const uid = await readyOrder();
      expect((await call('POST', `/shipments/${uid}/dispatch`, { body: DHL })).status).toBe(200);
      expect((await call('POST', `/shipments/${uid}/delivered`, { body: {} })).status).toBe(200);
      svc.clock.advance(31 * 24 * 60 * 60 * 1000);
      const run = await call<{ ok: boolean; summary: { purged: number } }>('POST', '/operations/retention', {
        token: TOKENS.operator.token,
      });
      expect(run.status).toBe(200);
      expect(run.body.ok).toBe(true);
      expect(run.body.summary.purged).toBeGreaterThanOrEqual(1);
      expect(
        await svc.dataSource.query('SELECT 1 FROM delivery_address WHERE pharmacy_order_uid = $1', [uid]),
      ).toEqual([]);
    });

    it('serves shipments by state, flagged, and the time from ready to dispatched on /metrics', async () => {
      const text = await (await fetch(`${svc.url}/metrics`)).text();
      expect(text).toMatch(/rxbridge_shipments\{[^}]*state="dispatched"[^}]*\} \d+/);
      expect(text).toMatch(/rxbridge_shipments_flagged\{[^}]*\} [1-9]/);
      expect(text).toMatch(
        /rxbridge_shipment_ready_to_left_seconds_count\{[^}]*fulfilment="shipment"[^}]*\} [1-9]/,
      );
    });

    it('logs no part of the delivery address or the order-service token', () => {
      const log = svc.lines.join('\n');
      expect(log).toContain('http request');
      for (const marker of [...INVENTED_PERSON_MARKERS, 'rxb_test-shipping-reads-addresses']) {
        expect(log).not.toContain(marker);
      }
    });
  });
});
