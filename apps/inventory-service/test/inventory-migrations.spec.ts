import { randomBytes } from 'node:crypto';
import { createServiceDataSource, migrateServiceSchema } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { inventoryServiceMigrations } from '../src/migrations/index.js';
import { databaseUrl } from '@rxbridge/testing';

/** Upgrades of a schema already holding rows, as a deployment meets them. */
describe('inventory-service migrations', () => {
  const schema = `inventory_m_${randomBytes(5).toString('hex')}`;
  const open: DataSource[] = [];
  const migrated = async (migrations: typeof inventoryServiceMigrations) => {
    const ds = createServiceDataSource({ url: databaseUrl, schema, migrations });
    await ds.initialize();
    open.push(ds);
    await migrateServiceSchema(ds);
    return ds;
  };
  afterAll(async () => {
    await open.find((ds) => ds.isInitialized)?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const ds of open) if (ds.isInitialized) await ds.destroy();
  });

  it('drops the ledger cause `correction` nothing writes, keeping the rows already there', async () => {
    const ledgerRow = (ds: DataSource, cause: string) =>
      ds.query(
        `INSERT INTO stock_ledger (pharmacy_uid, article_id, cause, on_hand_delta, reserved_delta, on_hand_after,
                                   reserved_after, reference, recorded_at)
         VALUES ('ph-m', 'A-1', $1, 5, 0, 5, 0, NULL, now())`,
        [cause],
      );
    const first = inventoryServiceMigrations.filter((m) => m.name !== 'LedgerWithoutCorrection1792000000001');
    expect(first).toHaveLength(inventoryServiceMigrations.length - 1);
    const before = await migrated(first);
    await ledgerRow(before, 'pms-level');
    await ledgerRow(before, 'correction');
    await before.query(`DELETE FROM stock_ledger WHERE cause = 'correction'`);
    await before.destroy();

    const after = await migrated(inventoryServiceMigrations);
    await expect(ledgerRow(after, 'correction')).rejects.toThrow(/check constraint/);
    for (const cause of ['pms-level', 'reservation', 'release', 'deduction']) await ledgerRow(after, cause);
    const causes = await after.query<{ cause: string }[]>('SELECT cause FROM stock_ledger ORDER BY id');
    expect(causes.map((r) => r.cause)).toEqual([
      'pms-level',
      'pms-level',
      'reservation',
      'release',
      'deduction',
    ]);
  });
});
