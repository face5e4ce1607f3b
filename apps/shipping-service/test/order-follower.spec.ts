import { type EntityManager } from 'typeorm';
import { parseEvent } from '@rxbridge/contracts';
import { OrderFollowerService } from '../src/shipments/order-follower.service.js';
import { FLAGGED_REASON, STOPPED_REASON } from '../src/shipments/shipment-events.js';
import {
  createShipping,
  createShippingTestDatabase,
  INVENTED_ADDRESS,
  newOrderUid,
  orderCancelled,
  orderReady,
  orderReceived,
  outboxRows,
  PHARMACY_UID,
  snapshot,
  tableCounts,
  type ShippingTestDatabase,
} from './support/shipping-test-kit.js';

describe(OrderFollowerService.name, () => {
  let db: ShippingTestDatabase;
  const shipping = createShipping();
  const tx = <T>(fn: (m: EntityManager) => Promise<T>): Promise<T> => db.dataSource.transaction(fn);

  beforeAll(async () => {
    db = await createShippingTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.dataSource.query(
      'TRUNCATE shipment_history, delivery_address, shipment, shipping_order, outbox',
    );
  });

  describe('orderReceived', () => {
    it('remembers a shipping order with its delivery type, and a repeat changes nothing', async () => {
      const uid = newOrderUid();
      const first = await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid, 'shipping')));
      expect(first).toEqual({ outcome: 'remembered', fulfilment: 'shipment' });
      const before = await snapshot(db.dataSource);
      const again = await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid, 'pickup')));
      expect(again).toEqual({ outcome: 'already-known', fulfilment: 'shipment' });
      expect(await snapshot(db.dataSource)).toEqual(before);
      const [row] = await db.dataSource.query('SELECT * FROM shipping_order');
      expect(row).toMatchObject({
        pharmacy_order_uid: uid,
        pharmacy_uid: PHARMACY_UID,
        delivery_type: 'shipping',
        fulfilment: 'shipment',
        status: 'received',
      });
      expect(await tableCounts(db.dataSource)).toMatchObject({ shipment: 0, outbox: 0 });
    });

    it('expects a hand-over for a pickup delivery type, whatever its case', async () => {
      const result = await tx((m) =>
        shipping.follower.orderReceived(m, orderReceived(newOrderUid(), 'PickUp')),
      );
      expect(result.fulfilment).toBe('hand-over');
    });

    it("takes an order without delivery type for a shipment (RxScale's default)", async () => {
      const result = await tx((m) => shipping.follower.orderReceived(m, orderReceived(newOrderUid(), null)));
      expect(result.fulfilment).toBe('shipment');
    });
  });

  describe('orderReady', () => {
    it('expects a shipment, keeps the address encrypted, writes history and publishes nothing', async () => {
      const uid = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
      const result = await tx((m) =>
        shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: INVENTED_ADDRESS }),
      );
      expect(result.outcome).toBe('expecting');
      const [order] = await db.dataSource.query('SELECT status, ready_at FROM shipping_order');
      expect(order.status).toBe('ready');
      const [shipment] = await db.dataSource.query('SELECT * FROM shipment');
      expect(shipment).toMatchObject({
        pharmacy_order_uid: uid,
        state: 'expected',
        fulfilment: 'shipment',
        closed_at: null,
      });
      const history = await db.dataSource.query(
        'SELECT from_state, to_state, trigger, initiator FROM shipment_history',
      );
      expect(history).toEqual([
        { from_state: null, to_state: 'expected', trigger: 'expect', initiator: 'rxbridge' },
      ]);
      expect(await db.dataSource.transaction((m) => shipping.repository.readDeliveryAddress(m, uid))).toEqual(
        INVENTED_ADDRESS,
      );
      expect(await outboxRows(db.dataSource)).toEqual([]);
    });

    it('asks for a delivery address only for a received order that ships', async () => {
      const ships = newOrderUid();
      const pickup = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(ships)));
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(pickup, 'pickup')));
      const wants = (uid: string) => tx((m) => shipping.follower.wantsDeliveryAddress(m, uid));
      expect(await wants(ships)).toBe(true);
      expect(await wants(pickup)).toBe(false);
      expect(await wants(newOrderUid())).toBe(false);
      await tx((m) => shipping.follower.orderReady(m, { ready: orderReady(ships), deliveryAddress: null }));
      expect(await wants(ships)).toBe(false);
    });

    it('keeps no address for a pickup order, even when one is offered', async () => {
      const uid = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid, 'pickup')));
      const result = await tx((m) =>
        shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: INVENTED_ADDRESS }),
      );
      expect(result.outcome === 'expecting' && result.shipment.fulfilment).toBe('hand-over');
      expect(await tableCounts(db.dataSource)).toMatchObject({ delivery_address: 0, shipment: 1 });
    });

    it('is a no-op when the order is ready again', async () => {
      const uid = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
      await tx((m) => shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: null }));
      const before = await snapshot(db.dataSource);
      const again = await tx((m) =>
        shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: null }),
      );
      expect(again.outcome).toBe('already-expected');
      expect(await snapshot(db.dataSource)).toEqual(before);
    });

    it('refuses an order it never received, with order_not_found and nothing written', async () => {
      await expect(
        tx((m) =>
          shipping.follower.orderReady(m, { ready: orderReady(newOrderUid()), deliveryAddress: null }),
        ),
      ).rejects.toMatchObject({ code: 'order_not_found', permanent: true });
      expect(await tableCounts(db.dataSource)).toMatchObject({ shipping_order: 0, shipment: 0, outbox: 0 });
    });

    it('expects nothing for an order cancelled before it was ready', async () => {
      const uid = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
      await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)));
      const result = await tx((m) =>
        shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: INVENTED_ADDRESS }),
      );
      expect(result.outcome).toBe('order-cancelled');
      expect(await tableCounts(db.dataSource)).toMatchObject({ shipment: 0, delivery_address: 0, outbox: 0 });
    });
  });

  describe('orderCancelled', () => {
    async function readyOrder(deliveryType = 'shipping'): Promise<string> {
      const uid = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid, deliveryType)));
      await tx((m) =>
        shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: INVENTED_ADDRESS }),
      );
      return uid;
    }

    it('stops a pending shipment and publishes pharmacy.shipment.stopped keyed by the order uid', async () => {
      const uid = await readyOrder();
      const result = await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)));
      expect(result.outcome).toBe('stopped');
      const [shipment] = await db.dataSource.query('SELECT state, stopped_at, closed_at FROM shipment');
      expect(shipment.state).toBe('stopped');
      expect(shipment.closed_at).toEqual(shipping.clock.now());
      const rows = await outboxRows(db.dataSource);
      expect(rows.map((r) => [r.topic, r.key, r.value.type])).toEqual([
        ['pharmacy.shipments.v1', uid, 'pharmacy.shipment.stopped'],
      ]);
      expect(rows[0]!.value.data).toMatchObject({ pharmacy_order_uid: uid, reason: STOPPED_REASON });
      expect(parseEvent(rows[0]!.value, { topic: 'pharmacy.shipments.v1' }).ok).toBe(true);
      const history = await db.dataSource.query(
        'SELECT from_state, to_state, trigger, initiator FROM shipment_history ORDER BY id',
      );
      expect(history[1]).toEqual({
        from_state: 'expected',
        to_state: 'stopped',
        trigger: 'cancel',
        initiator: 'rxscale',
      });
    });

    it('flags a shipment that already left, with its tracking, and keeps it visible on the shipment', async () => {
      const uid = await readyOrder();
      await tx((m) =>
        shipping.desk.recordShipment(m, {
          pharmacy_order_uid: uid,
          carrier: 'DHL',
          tracking_number: '00340434161094042557',
          tracking_url:
            'https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557',
        }),
      );
      const result = await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)));
      expect(result.outcome).toBe('flagged');
      const shipment = await db.dataSource.transaction((m) =>
        shipping.repository.findShipmentByOrder(m, uid),
      );
      expect(shipment).toMatchObject({ state: 'flagged', flagReason: FLAGGED_REASON, carrier: 'DHL' });
      const rows = await outboxRows(db.dataSource);
      expect(rows.map((r) => [r.key, r.value.type])).toEqual([
        [uid, 'pharmacy.shipment.dispatched'],
        [uid, 'pharmacy.shipment.flagged'],
      ]);
      expect(rows[1]!.value.data).toMatchObject({
        carrier: 'DHL',
        tracking_number: '00340434161094042557',
        reason: FLAGGED_REASON,
      });
    });

    it('flags a pickup already handed over, published without tracking', async () => {
      const uid = await readyOrder('pickup');
      await tx((m) => shipping.desk.recordHandOver(m, { pharmacy_order_uid: uid }));
      const result = await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)));
      expect(result.outcome).toBe('flagged');
      const rows = await outboxRows(db.dataSource);
      expect(rows.map((r) => [r.key, r.value.type])).toEqual([
        [uid, 'pharmacy.shipment.handed-over'],
        [uid, 'pharmacy.shipment.flagged'],
      ]);
      expect(rows[1]!.value.data).toMatchObject({ carrier: null, tracking_number: null, tracking_url: null });
      expect(parseEvent(rows[1]!.value, { topic: 'pharmacy.shipments.v1' }).ok).toBe(true);
      const [row] = await db.dataSource.query('SELECT state, flag_reason FROM shipment');
      expect(row.state).toBe('flagged');
      expect(row.flag_reason).toMatch(/collected/);
    });

    it('does nothing more on a repeated cancellation', async () => {
      const uid = await readyOrder();
      await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)));
      const before = await snapshot(db.dataSource);
      const again = await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)));
      expect(again.outcome).toBe('already-closed');
      expect(await snapshot(db.dataSource)).toEqual(before);
    });

    it('remembers the cancellation of an order that was not ready, and stops nothing', async () => {
      const uid = newOrderUid();
      await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
      expect(await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid)))).toEqual({
        outcome: 'no-shipment',
      });
      const [order] = await db.dataSource.query('SELECT status FROM shipping_order');
      expect(order.status).toBe('cancelled');
      expect(await outboxRows(db.dataSource)).toEqual([]);
    });

    it('ignores the cancellation of an order it never saw', async () => {
      expect(await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(newOrderUid())))).toEqual({
        outcome: 'unknown-order',
      });
      expect(await tableCounts(db.dataSource)).toMatchObject({ shipping_order: 0, outbox: 0 });
    });
  });
});
