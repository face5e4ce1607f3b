import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createServiceDataSource, migrateServiceSchema, plumbingMigrations } from '@rxbridge/service-kit';
import { databaseUrl as url } from '@rxbridge/testing';
import { type DataSource } from 'typeorm';
import { CreateOrders1791000000000 } from '../src/migrations/1791000000000-create-orders.js';
import { orderServiceMigrations } from '../src/migrations/index.js';

/** The orders schema's later migrations against data the earlier ones left (real PostgreSQL). */
const schema = `orders_t_${randomBytes(5).toString('hex')}`;
const opened: DataSource[] = [];

async function migrated(migrations: typeof orderServiceMigrations): Promise<DataSource> {
  const ds = createServiceDataSource({ url, schema, migrations, poolSize: 2 });
  await ds.initialize();
  opened.push(ds);
  await migrateServiceSchema(ds);
  return ds;
}

afterAll(async () => {
  await opened.find((ds) => ds.isInitialized)?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  for (const ds of opened) if (ds.isInitialized) await ds.destroy();
});

describe('AddRefusedFrom1791000000001', () => {
  it('gives orders refused before it the state they left, and first-seen or open orders none', async () => {
    const before = await migrated([...plumbingMigrations, CreateOrders1791000000000]);
    const order = (uid: string, state: string) =>
      before.query(
        `INSERT INTO orders (pharmacy_order_uid, pharmacy_uid, order_uid, state, refused_requested, received_at,
           updated_at) VALUES ($1, 'ph-m', $2, $3, $4, now(), now())`,
        [uid, `ord-${uid}`, state, state === 'refused' ? 'in-progress' : null],
      );
    const history = (uid: string, from: string | null, to: string) =>
      before.query(
        `INSERT INTO order_status_history (pharmacy_order_uid, at, trigger, from_state, to_state, initiator)
         VALUES ($1, now(), 't', $2, $3, 'rxscale')`,
        [uid, from, to],
      );
    await order('po-m-refused', 'refused');
    await history('po-m-refused', null, 'received');
    await history('po-m-refused', 'received', 'awaiting_stock');
    await history('po-m-refused', 'awaiting_stock', 'in_progress');
    await history('po-m-refused', 'in_progress', 'refused');
    await order('po-m-first-seen', 'refused');
    await history('po-m-first-seen', null, 'refused');
    // refused once, left by a cancel: not refused any more, nothing to remember
    await order('po-m-cancelled', 'cancelled');
    await history('po-m-cancelled', 'ready', 'refused');
    await history('po-m-cancelled', 'refused', 'cancelled');
    await before.destroy();

    const after = await migrated(orderServiceMigrations);
    const rows = await after.query<{ pharmacy_order_uid: string; refused_from: string | null }[]>(
      'SELECT pharmacy_order_uid, refused_from FROM orders ORDER BY pharmacy_order_uid',
    );
    expect(rows).toEqual([
      { pharmacy_order_uid: 'po-m-cancelled', refused_from: null },
      { pharmacy_order_uid: 'po-m-first-seen', refused_from: null },
      { pharmacy_order_uid: 'po-m-refused', refused_from: 'in_progress' },
    ]);
    await expect(
      after.query(`UPDATE orders SET refused_from = 'refused' WHERE pharmacy_order_uid = 'po-m-refused'`),
    ).rejects.toThrow(/check constraint/);
  });
});
