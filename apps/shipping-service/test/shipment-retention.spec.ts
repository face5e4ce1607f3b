import { type EntityManager } from 'typeorm';
import { ShipmentRetentionService } from '../src/shipments/shipment-retention.service.js';
import { recordShipmentInputSchema } from '../src/shipments/shipment-input.js';
import {
  createShipping,
  createShippingTestDatabase,
  dumpSchemaText,
  INVENTED_ADDRESS,
  newOrderUid,
  orderCancelled,
  orderReady,
  orderReceived,
  tableCounts,
  testShippingConfig,
  type ShippingTestDatabase,
} from './support/shipping-test-kit.js';

const DAY = 24 * 60 * 60 * 1000;

describe(ShipmentRetentionService.name, () => {
  let db: ShippingTestDatabase;
  const shipping = createShipping();
  const tx = <T>(fn: (m: EntityManager) => Promise<T>): Promise<T> => db.dataSource.transaction(fn);

  beforeAll(async () => {
    db = await createShippingTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  async function readyWithAddress(): Promise<string> {
    const uid = newOrderUid();
    await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
    await tx((m) =>
      shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: INVENTED_ADDRESS }),
    );
    return uid;
  }

  async function dispatch(uid: string): Promise<void> {
    const input = recordShipmentInputSchema(testShippingConfig.carriers).parse({
      pharmacy_order_uid: uid,
      carrier: 'DHL',
      tracking_number: '00340434161094042557',
      tracking_url:
        'https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557',
    });
    await tx((m) => shipping.desk.recordShipment(m, input));
  }

  it('stores no part of the delivery address in clear text anywhere in the schema', async () => {
    const uid = await readyWithAddress();
    await dispatch(uid);
    const text = await dumpSchemaText(db);
    expect(text).toContain(uid); // the dump does see the rows
    for (const value of Object.values(INVENTED_ADDRESS)) {
      // 5 characters at least: a 3-character value ("17b") turns up in random base64 once in a few hundred runs
      if (typeof value === 'string' && value.length >= 5) expect(text).not.toContain(value);
    }
    // and the envelope is bound to its order: moved to another row it does not decrypt
    const [{ envelope }] = await db.dataSource.query(
      'SELECT envelope FROM delivery_address WHERE pharmacy_order_uid = $1',
      [uid],
    );
    expect(() =>
      shipping.cipher.decrypt(envelope as string, 'shipping.delivery_address:someone-else'),
    ).toThrow();
  });

  it('purges addresses N days after delivered or stopped, keeps open ones, and says how many went', async () => {
    await db.dataSource.query(
      'TRUNCATE shipment_history, delivery_address, shipment, shipping_order, outbox',
    );
    const delivered = await readyWithAddress();
    await dispatch(delivered);
    await tx((m) => shipping.desk.markDelivered(m, { pharmacy_order_uid: delivered }));
    const stopped = await readyWithAddress();
    await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(stopped)));
    const inTransit = await readyWithAddress();
    await dispatch(inTransit);
    const waiting = await readyWithAddress();

    shipping.clock.advance(testShippingConfig.addressRetentionDays * DAY - 60_000);
    expect((await tx((m) => shipping.retention.purgeDeliveryAddresses(m))).purged).toBe(0);

    const closedLater = await readyWithAddress();
    await tx((m) => shipping.follower.orderCancelled(m, orderCancelled(closedLater)));

    shipping.clock.advance(2 * 60_000);
    const result = await tx((m) => shipping.retention.purgeDeliveryAddresses(m));
    expect(result).toEqual({
      purged: 2,
      closedBefore: new Date(shipping.clock.now().getTime() - testShippingConfig.addressRetentionDays * DAY),
      openBefore: new Date(shipping.clock.now().getTime() - testShippingConfig.addressMaxOpenDays * DAY),
    });
    const kept = await db.dataSource.query<{ pharmacy_order_uid: string }[]>(
      'SELECT pharmacy_order_uid FROM delivery_address ORDER BY pharmacy_order_uid',
    );
    expect(kept.map((r) => r.pharmacy_order_uid).sort()).toEqual([closedLater, inTransit, waiting].sort());
    const purgedOrders = await db.dataSource.query<{ pharmacy_order_uid: string; address_purged_at: Date }[]>(
      'SELECT pharmacy_order_uid, address_purged_at FROM shipping_order WHERE address_purged_at IS NOT NULL',
    );
    expect(purgedOrders.map((r) => r.pharmacy_order_uid).sort()).toEqual([delivered, stopped].sort());
    expect(purgedOrders[0]!.address_purged_at).toEqual(shipping.clock.now());
    // the shipments themselves stay (no patient data): only the address goes
    expect(await tableCounts(db.dataSource)).toMatchObject({ shipment: 5, delivery_address: 3 });
    expect((await tx((m) => shipping.retention.purgeDeliveryAddresses(m))).purged).toBe(0);
  });

  it('purges the address of a shipment still open N days after it was expected (never packed off, never delivered)', async () => {
    await db.dataSource.query(
      'TRUNCATE shipment_history, delivery_address, shipment, shipping_order, outbox',
    );
    const neverPacked = await readyWithAddress();
    const neverDelivered = await readyWithAddress();
    await dispatch(neverDelivered);

    shipping.clock.advance(testShippingConfig.addressMaxOpenDays * DAY - 60_000);
    const expectedLater = await readyWithAddress();
    expect((await tx((m) => shipping.retention.purgeDeliveryAddresses(m))).purged).toBe(0);

    shipping.clock.advance(2 * 60_000);
    expect((await tx((m) => shipping.retention.purgeDeliveryAddresses(m))).purged).toBe(2);
    const kept = await db.dataSource.query<{ pharmacy_order_uid: string }[]>(
      'SELECT pharmacy_order_uid FROM delivery_address',
    );
    expect(kept.map((r) => r.pharmacy_order_uid)).toEqual([expectedLater]);
    const purged = await db.dataSource.query<{ pharmacy_order_uid: string }[]>(
      'SELECT pharmacy_order_uid FROM shipping_order WHERE address_purged_at IS NOT NULL',
    );
    expect(purged.map((r) => r.pharmacy_order_uid).sort()).toEqual([neverPacked, neverDelivered].sort());
    // the shipments stay open: the desk can still send the late one off, only the address is gone
    const states = await db.dataSource.query<{ pharmacy_order_uid: string; state: string }[]>(
      'SELECT pharmacy_order_uid, state FROM shipment WHERE pharmacy_order_uid = ANY($1)',
      [[neverPacked, neverDelivered]],
    );
    expect(Object.fromEntries(states.map((r) => [r.pharmacy_order_uid, r.state]))).toEqual({
      [neverPacked]: 'expected',
      [neverDelivered]: 'dispatched',
    });
    await dispatch(neverPacked);
    expect((await tx((m) => shipping.retention.purgeDeliveryAddresses(m))).purged).toBe(0);
  });
});
