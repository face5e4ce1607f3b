import { migrateServiceSchema } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { CreateShippingTables1793000000000 } from '../src/migrations/1793000000000-create-shipping-tables.js';
import { recordShipmentInputSchema } from '../src/shipments/shipment-input.js';
import {
  createShipping,
  createShippingTestDatabase,
  INVENTED_ADDRESS,
  newOrderUid,
  orderCancelled,
  orderReady,
  orderReceived,
  outboxRows,
  testShippingConfig,
  type ShippingTestDatabase,
} from './support/shipping-test-kit.js';

describe(CreateShippingTables1793000000000.name, () => {
  let db: ShippingTestDatabase;
  const tx = <T>(fn: (m: EntityManager) => Promise<T>): Promise<T> => db.dataSource.transaction(fn);

  beforeAll(async () => {
    db = await createShippingTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it("creates the shipping tables beside the kit's, in the service's own schema, once", async () => {
    const tables = await db.dataSource.query<{ table_name: string }[]>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [db.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'delivery_address',
        'inbox',
        'outbox',
        'rxscale_command',
        'shipment',
        'shipment_history',
        'shipping_order',
      ]),
    );
    expect(await migrateServiceSchema(db.dataSource)).toEqual([]);
  });

  it('refuses a plain-http tracking URL and a dispatched shipment without tracking, even past the use cases', async () => {
    const shipping = createShipping();
    const uid = newOrderUid();
    await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
    await tx((m) => shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: null }));
    await expect(
      db.dataSource.query(
        "UPDATE shipment SET tracking_url = 'http://track.example/1' WHERE pharmacy_order_uid = $1",
        [uid],
      ),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.dataSource.query("UPDATE shipment SET state = 'dispatched' WHERE pharmacy_order_uid = $1", [uid]),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('undoes itself', async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.query('TRUNCATE shipment_history, delivery_address, shipment, shipping_order');
      await new CreateShippingTables1793000000000().down(runner);
      const left: unknown[] = await runner.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('shipment', 'shipping_order', 'delivery_address', 'shipment_history')",
        [db.schema],
      );
      expect(left).toHaveLength(0);
      await new CreateShippingTables1793000000000().up(runner);
    } finally {
      await runner.release();
    }
  });

  describe('a cancellation racing a desk shipment', () => {
    it.each([1, 2, 3, 4, 5])(
      'ends consistent: stopped and refused, or dispatched then flagged (run %i)',
      async () => {
        const shipping = createShipping();
        const uid = newOrderUid();
        await tx((m) => shipping.follower.orderReceived(m, orderReceived(uid)));
        await tx((m) =>
          shipping.follower.orderReady(m, { ready: orderReady(uid), deliveryAddress: INVENTED_ADDRESS }),
        );
        const input = recordShipmentInputSchema(testShippingConfig.carriers).parse({
          pharmacy_order_uid: uid,
          carrier: 'UPS',
          tracking_number: '1Z999AA10123456784',
          tracking_url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784',
        });
        const [desk, cancel] = await Promise.allSettled([
          tx((m) => shipping.desk.recordShipment(m, input)),
          tx((m) => shipping.follower.orderCancelled(m, orderCancelled(uid))),
        ]);
        expect(cancel.status).toBe('fulfilled');
        const types = (await outboxRows(db.dataSource)).filter((r) => r.key === uid).map((r) => r.value.type);
        const [row] = await db.dataSource.query<{ state: string }[]>(
          'SELECT state FROM shipment WHERE pharmacy_order_uid = $1',
          [uid],
        );
        if (desk.status === 'fulfilled') {
          expect(row!.state).toBe('flagged');
          expect(types).toEqual(['pharmacy.shipment.dispatched', 'pharmacy.shipment.flagged']);
        } else {
          expect(desk.reason).toMatchObject({ code: 'order_cancelled' });
          expect(row!.state).toBe('stopped');
          expect(types).toEqual(['pharmacy.shipment.stopped']);
        }
      },
    );
  });
});
