import { StockDriftService } from '../src/skus/stock-drift.service.js';
import { parseStockJson } from '../src/stock/stock-ingest.js';
import {
  inventoryServices,
  openTestDatabase,
  pendingCommands,
  type TestDatabase,
} from './support/inventory-test-kit.js';

describe(StockDriftService.name, () => {
  let db: TestDatabase;
  const inv = inventoryServices();
  const ph = 'ph-drift';

  beforeAll(async () => {
    db = await openTestDatabase();
    await db.dataSource.query(
      `INSERT INTO pharmacy_sku (pharmacy_sku_uid, pharmacy_uid, sku_uid, article_id, external_id, rxscale_stock, synced_at)
       VALUES ('psku-d', $1, 'sku-d', 'D-1', 'D-1', 5, now())`,
      [ph],
    );
    await setLevel(5);
  });
  afterAll(async () => {
    await db.close();
  });

  function setLevel(onHand: number) {
    return db.dataSource.transaction((m) =>
      inv.stock.setMany(m, {
        pharmacyUid: ph,
        lines: parseStockJson({ lines: [{ article_id: 'D-1', on_hand: onHand }] }),
      }),
    );
  }

  const report = (stock: number, pharmacySkuUid = 'psku-d') =>
    db.dataSource.transaction((m) =>
      inv.drift.onRxscaleStockReported(m, { pharmacyUid: ph, pharmacySkuUid, stock }),
    );

  async function disagreements(): Promise<number> {
    const rows = await db.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM stock_disagreement');
    return Number(rows[0]!.n);
  }

  it('takes the echo of our last push as agreement, even after the PMS moved on', async () => {
    expect(await report(5)).toEqual({ outcome: 'agrees' });
    await setLevel(8);
    expect(await pendingCommands(db.dataSource)).toBe(1);
    // a late echo of the push of 5: the push of 8 is queued already, no disagreement to count
    expect(await report(5)).toEqual({ outcome: 'agrees' });
    expect(await disagreements()).toBe(0);
  });

  it('counts a different value as a disagreement and queues the PMS value, coalesced', async () => {
    expect(await report(3)).toEqual({ outcome: 'repaired', reported: 3, expected: 8 });
    expect(await disagreements()).toBe(1);
    expect(await pendingCommands(db.dataSource)).toBe(1);
    const sku = await inv.skuRepository.find(db.dataSource.manager, 'psku-d');
    expect(sku?.rxscaleStock).toBe(3);
  });

  it('ignores SKUs it does not know', async () => {
    expect(await report(1, 'psku-unknown')).toEqual({ outcome: 'unknown-sku' });
  });
});
