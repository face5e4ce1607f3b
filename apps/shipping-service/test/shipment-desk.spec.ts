import { parseEvent } from '@rxbridge/contracts';
import { type EntityManager } from 'typeorm';
import { ShipmentDeskService } from '../src/shipments/shipment-desk.service.js';
import { recordShipmentInputSchema, type RecordShipmentInput } from '../src/shipments/shipment-input.js';
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
  testShippingConfig,
  type ShippingTestDatabase,
} from './support/shipping-test-kit.js';

const parseShipment = (body: unknown): RecordShipmentInput =>
  recordShipmentInputSchema(testShippingConfig.carriers).parse(body);

describe(ShipmentDeskService.name, () => {
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

  async function received(deliveryType = 'shipping'): Promise<string> {
    const uid = newOrderUid();
    await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid, deliveryType)));
    return uid;
  }

  async function ready(deliveryType = 'shipping'): Promise<string> {
    const uid = await received(deliveryType);
    await tx((m) =>
      shipping.follower.orderReady(m, {
        ready: orderReady(uid),
        deliveryAddress: deliveryType === 'pickup' ? null : INVENTED_ADDRESS,
      }),
    );
    return uid;
  }

  const gls = (uid: string) =>
    parseShipment({
      pharmacy_order_uid: uid,
      carrier: 'gls',
      tracking_number: '67201234567',
      tracking_url: 'https://gls-group.com/DE/de/paketverfolgung?match=67201234567',
    });

  /** Runs a refused command and checks that it wrote nothing at all. */
  async function expectRefused(command: (m: EntityManager) => Promise<unknown>, code: string): Promise<void> {
    const before = await snapshot(db.dataSource);
    await expect(tx(command)).rejects.toMatchObject({ code, permanent: true });
    expect(await snapshot(db.dataSource)).toEqual(before);
  }

  describe('recordShipment', () => {
    it('dispatches the expected shipment and publishes pharmacy.shipment.dispatched with what complete_order needs', async () => {
      const uid = await ready();
      const { shipment, replayed } = await tx((m) => shipping.desk.recordShipment(m, gls(uid)));
      expect(replayed).toBe(false);
      expect(shipment).toMatchObject({
        state: 'dispatched',
        carrier: 'GLS',
        trackingNumber: '67201234567',
        dispatchedAt: shipping.clock.now(),
        closedAt: null,
      });
      const rows = await outboxRows(db.dataSource);
      expect(rows.map((r) => [r.topic, r.key, r.value.type])).toEqual([
        ['pharmacy.shipments.v1', uid, 'pharmacy.shipment.dispatched'],
      ]);
      expect(rows[0]!.value.data).toEqual({
        pharmacy_uid: PHARMACY_UID,
        pharmacy_order_uid: uid,
        shipment_uid: shipment.shipmentUid,
        carrier: 'GLS',
        tracking_number: '67201234567',
        tracking_url: 'https://gls-group.com/DE/de/paketverfolgung?match=67201234567',
        dispatched_at: shipping.clock.now().toISOString(),
      });
      expect(parseEvent(rows[0]!.value, { topic: 'pharmacy.shipments.v1' }).ok).toBe(true);
      const history = await db.dataSource.query(
        'SELECT to_state, trigger, initiator FROM shipment_history ORDER BY id',
      );
      expect(history[1]).toEqual({ to_state: 'dispatched', trigger: 'dispatch', initiator: 'pharmacy' });
      expect(await tableCounts(db.dataSource)).toMatchObject({ rxscale_command: 0 });
    });

    it('records a shipment without tracking URL', async () => {
      const uid = await ready();
      const input = parseShipment({
        pharmacy_order_uid: uid,
        carrier: 'DPD',
        tracking_number: '01234567890123',
      });
      const { shipment } = await tx((m) => shipping.desk.recordShipment(m, input));
      expect(shipment.trackingUrl).toBeNull();
      const [row] = await outboxRows(db.dataSource);
      expect(row!.value.data.tracking_url).toBeNull();
    });

    it('is idempotent for the same carrier and tracking, and refuses a second, different shipment', async () => {
      const uid = await ready();
      await tx((m) => shipping.desk.recordShipment(m, gls(uid)));
      const before = await snapshot(db.dataSource);
      const again = await tx((m) => shipping.desk.recordShipment(m, gls(uid)));
      expect(again.replayed).toBe(true);
      expect(await snapshot(db.dataSource)).toEqual(before);
      await expectRefused(
        (m) => shipping.desk.recordShipment(m, { ...gls(uid), tracking_number: '67209999999' }),
        'shipment_already_dispatched',
      );
    });

    it('refuses an unknown order with order_not_found and writes nothing', async () => {
      await expectRefused((m) => shipping.desk.recordShipment(m, gls(newOrderUid())), 'order_not_found');
    });

    it('refuses a cancelled order, before and after it was ready', async () => {
      const notReady = await received();
      await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(notReady)));
      await expectRefused((m) => shipping.desk.recordShipment(m, gls(notReady)), 'order_cancelled');
      const stopped = await ready();
      await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(stopped)));
      await expectRefused((m) => shipping.desk.recordShipment(m, gls(stopped)), 'order_cancelled');
    });

    it('refuses an order that is not ready yet', async () => {
      const uid = await received();
      await expectRefused((m) => shipping.desk.recordShipment(m, gls(uid)), 'order_not_ready');
    });

    it('refuses a carrier shipment for a pickup order', async () => {
      const uid = await ready('pickup');
      await expectRefused((m) => shipping.desk.recordShipment(m, gls(uid)), 'delivery_type_mismatch');
    });

    it("refuses a tracking URL that carries part of the patient's address, without echoing it", async () => {
      const uid = await ready();
      const input = { ...gls(uid), tracking_url: 'https://tracking.example/track?q=99999-Beispielfrau' };
      const before = await snapshot(db.dataSource);
      const error = (await tx((m) => shipping.desk.recordShipment(m, input)).catch(
        (e: unknown) => e,
      )) as Error;
      expect(error).toMatchObject({ code: 'tracking_url_contains_patient_data' });
      expect(error.message).not.toMatch(/99999|Beispielfrau/i);
      expect(await snapshot(db.dataSource)).toEqual(before);
    });
  });

  describe('recordHandOver', () => {
    it('hands a pickup order over, closes it, and is idempotent', async () => {
      const uid = await ready('pickup');
      const { shipment, replayed } = await tx((m) =>
        shipping.desk.recordHandOver(m, { pharmacy_order_uid: uid }),
      );
      expect(replayed).toBe(false);
      expect(shipment).toMatchObject({
        state: 'handed-over',
        handedOverAt: shipping.clock.now(),
        closedAt: shipping.clock.now(),
      });
      const history = await db.dataSource.query<{ to_state: string }[]>(
        'SELECT to_state FROM shipment_history ORDER BY id',
      );
      expect(history.map((h) => h.to_state)).toEqual(['expected', 'handed-over']);
      const rows = await outboxRows(db.dataSource);
      expect(rows.map((r) => [r.key, r.value.type])).toEqual([[uid, 'pharmacy.shipment.handed-over']]);
      expect(rows[0]!.value.data).toMatchObject({ handed_over_at: shipping.clock.now().toISOString() });
      const again = await tx((m) => shipping.desk.recordHandOver(m, { pharmacy_order_uid: uid }));
      expect(again.replayed).toBe(true);
    });

    it('refuses a hand-over for an order that ships, or is unknown, or cancelled', async () => {
      const ships = await ready();
      await expectRefused(
        (m) => shipping.desk.recordHandOver(m, { pharmacy_order_uid: ships }),
        'delivery_type_mismatch',
      );
      await expectRefused(
        (m) => shipping.desk.recordHandOver(m, { pharmacy_order_uid: newOrderUid() }),
        'order_not_found',
      );
      const cancelled = await ready('pickup');
      await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(cancelled)));
      await expectRefused(
        (m) => shipping.desk.recordHandOver(m, { pharmacy_order_uid: cancelled }),
        'order_cancelled',
      );
    });
  });

  describe('markDelivered', () => {
    it('delivers a dispatched shipment at the carrier time and closes it', async () => {
      const uid = await ready();
      await tx((m) => shipping.desk.recordShipment(m, gls(uid)));
      shipping.clock.advance(2 * 24 * 60 * 60 * 1000);
      const deliveredAt = new Date(shipping.clock.now().getTime() - 60 * 60 * 1000);
      const { shipment } = await tx((m) =>
        shipping.desk.markDelivered(m, { pharmacy_order_uid: uid, delivered_at: deliveredAt.toISOString() }),
      );
      expect(shipment).toMatchObject({ state: 'delivered', deliveredAt, closedAt: deliveredAt });
      const again = await tx((m) => shipping.desk.markDelivered(m, { pharmacy_order_uid: uid }));
      expect(again.replayed).toBe(true);
      const rows = await outboxRows(db.dataSource);
      expect(rows.map((r) => r.value.type)).toEqual([
        'pharmacy.shipment.dispatched',
        'pharmacy.shipment.delivered',
      ]);
      expect(rows[1]!.value.data).toMatchObject({ delivered_at: deliveredAt.toISOString() });
    });

    it('refuses to deliver what has not left, and a delivery time in the future', async () => {
      const uid = await ready();
      await expectRefused(
        (m) => shipping.desk.markDelivered(m, { pharmacy_order_uid: uid }),
        'shipment_not_dispatched',
      );
      await tx((m) => shipping.desk.recordShipment(m, gls(uid)));
      const future = new Date(shipping.clock.now().getTime() + 60_000).toISOString();
      await expectRefused(
        (m) => shipping.desk.markDelivered(m, { pharmacy_order_uid: uid, delivered_at: future }),
        'delivered_in_future',
      );
    });
  });
});
