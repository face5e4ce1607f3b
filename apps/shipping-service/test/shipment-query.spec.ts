import { type EntityManager } from 'typeorm';
import { ListShipmentsQuery, recordShipmentInputSchema } from '../src/shipments/shipment-input.js';
import { ShipmentQueryService } from '../src/shipments/shipment-query.service.js';
import {
  createShipping,
  createShippingTestDatabase,
  newOrderUid,
  orderCancelled,
  orderReady,
  orderReceived,
  testShippingConfig,
  type ShippingTestDatabase,
} from './support/shipping-test-kit.js';

describe(ShipmentQueryService.name, () => {
  let db: ShippingTestDatabase;
  const shipping = createShipping();
  const query = new ShipmentQueryService(shipping.repository);
  const tx = <T>(fn: (m: EntityManager) => Promise<T>): Promise<T> => db.dataSource.transaction(fn);
  const orders: string[] = [];
  let flagged = '';

  beforeAll(async () => {
    db = await createShippingTestDatabase();
    for (let i = 0; i < 5; i += 1) {
      const uid = newOrderUid();
      orders.push(uid);
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
      await tx((m) => shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: null }));
      shipping.clock.advance(1000);
    }
    flagged = orders[1]!;
    const input = recordShipmentInputSchema(testShippingConfig.carriers).parse({
      pharmacy_order_uid: flagged,
      carrier: 'Hermes',
      tracking_number: 'H1234567890123',
    });
    await tx((m) => shipping.desk.recordShipment(m, input));
    await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(flagged)));
  });
  afterAll(async () => {
    await db.close();
  });

  it('lists flagged shipments, so a person sees what to recall', async () => {
    const page = await tx((m) => query.list(m, ListShipmentsQuery.parse({ state: 'flagged' })));
    expect(page.shipments.map((s) => [s.pharmacyOrderUid, s.state, s.flagReason !== null])).toEqual([
      [flagged, 'flagged', true],
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('pages newest first with a cursor and finds every shipment once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await tx((m) =>
        query.list(m, ListShipmentsQuery.parse({ limit: '2', ...(cursor ? { cursor } : {}) })),
      );
      seen.push(...page.shipments.map((s) => s.pharmacyOrderUid));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...orders].reverse());
  });

  it('searches by tracking number, whatever its case', async () => {
    const page = await tx((m) =>
      query.list(m, ListShipmentsQuery.parse({ tracking_number: 'h1234567890123' })),
    );
    expect(page.shipments.map((s) => s.pharmacyOrderUid)).toEqual([flagged]);
  });

  it("tells one order's story", async () => {
    const { shipment, history } = await tx((m) => query.ofOrder(m, { pharmacy_order_uid: flagged }));
    expect(shipment.state).toBe('flagged');
    expect(history.map((h) => `${h.trigger}:${h.toState}`)).toEqual([
      'expect:expected',
      'dispatch:dispatched',
      'cancel:flagged',
    ]);
    await expect(tx((m) => query.ofOrder(m, { pharmacy_order_uid: newOrderUid() }))).rejects.toMatchObject({
      code: 'shipment_not_found',
    });
  });

  it('refuses a bad state, limit or cursor with fixed messages', () => {
    expect(ListShipmentsQuery.safeParse({ state: 'lost-at-sea' }).error?.issues[0]?.message).toMatch(
      /state must be one of/,
    );
    expect(ListShipmentsQuery.safeParse({ limit: '500' }).success).toBe(false);
    const bad = ListShipmentsQuery.safeParse({ cursor: 'not-a-cursor' });
    expect(bad.error?.issues[0]?.message).toBe('cursor is not one this service handed out');
  });
});
