import { StockLevelService } from '../src/stock/stock-level.service.js';
import { parseStockCsv, parseStockJson } from '../src/stock/stock-ingest.js';
import { StockUploadError } from '../src/stock/stock.errors.js';
import { inventoryServices, openTestDatabase, type TestDatabase } from './support/inventory-test-kit.js';

const PHARMACY = 'ph-levels';

function* text(body: string, size = 64 * 1024): Generator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield Buffer.from(body.slice(i, i + size));
}

describe(StockLevelService.name, () => {
  let db: TestDatabase;
  const inv = inventoryServices();

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  async function count(sql: string): Promise<number> {
    const rows = await db.dataSource.query<{ n: string }[]>(sql);
    return Number(rows[0]!.n);
  }

  /** Two mapped SKUs so that pushes are queued for the articles they map to. */
  async function mapSkus(pharmacyUid: string, articleIds: string[]): Promise<void> {
    await db.dataSource.query(
      `INSERT INTO pharmacy_sku (pharmacy_sku_uid, pharmacy_uid, sku_uid, article_id, external_id, rxscale_stock, synced_at)
       SELECT 'psku-' || a, $1, 'sku-' || a, a, a, 0, now() FROM unnest($2::text[]) AS a`,
      [pharmacyUid, articleIds],
    );
  }

  describe('a bulk update', () => {
    it('applies 10,000 CSV lines as a stream, with a ledger row and an event per changed article', async () => {
      const pharmacyUid = `${PHARMACY}-bulk`;
      await mapSkus(pharmacyUid, ['BULK-00001', 'BULK-00002']);
      const csv =
        'article_id,on_hand,pzn\n' +
        Array.from(
          { length: 10_000 },
          (_, i) => `BULK-${String(i).padStart(5, '0')},${i % 97},${30_000_000 + i}`,
        ).join('\n');
      const result = await db.dataSource.transaction((m) =>
        inv.stock.setMany(m, { pharmacyUid, lines: parseStockCsv(text(csv)) }),
      );
      expect(result).toMatchObject({ received: 10_000, accepted: 10_000, changed: 10_000, rejectedCount: 0 });
      expect(result.pushesQueued).toBe(2);
      expect(await count(`SELECT count(*) AS n FROM article WHERE pharmacy_uid = '${pharmacyUid}'`)).toBe(
        10_000,
      );
      expect(await count(`SELECT sum(on_hand) AS n FROM article WHERE pharmacy_uid = '${pharmacyUid}'`)).toBe(
        Array.from({ length: 10_000 }, (_, i) => i % 97).reduce((a, b) => a + b, 0),
      );
      expect(
        await count(`SELECT count(*) AS n FROM stock_ledger WHERE pharmacy_uid = '${pharmacyUid}'`),
      ).toBe(10_000);
      expect(
        await count(`SELECT count(*) AS n FROM outbox WHERE value->>'type' = 'pharmacy.stock.level-changed'
                     AND value->'data'->>'pharmacy_uid' = '${pharmacyUid}'`),
      ).toBe(10_000);

      // the same file again changes nothing: no ledger rows, events or pushes
      const again = await db.dataSource.transaction((m) =>
        inv.stock.setMany(m, { pharmacyUid, lines: parseStockCsv(text(csv)) }),
      );
      expect(again).toMatchObject({ received: 10_000, changed: 0, pushesQueued: 0 });
      expect(
        await count(`SELECT count(*) AS n FROM stock_ledger WHERE pharmacy_uid = '${pharmacyUid}'`),
      ).toBe(10_000);
    });
  });

  describe('bad lines', () => {
    it('are reported by line number and reason while the good ones are applied', async () => {
      const pharmacyUid = `${PHARMACY}-bad`;
      await db.dataSource.transaction((m) =>
        inv.stock.setOne(m, { pharmacyUid, articleId: 'KNOWN-1', onHand: 3, pzn: '11111111' }),
      );
      const csv = [
        'article_id,on_hand,pzn',
        'GOOD-1,4,',
        'BAD-1,-2,',
        'GOOD-2,0,',
        'KNOWN-1,9,22222222',
        'BAD-2,four,',
        'GOOD-1,6,',
      ].join('\n');
      const result = await db.dataSource.transaction((m) =>
        inv.stock.setMany(m, { pharmacyUid, lines: parseStockCsv(text(csv)) }),
      );
      expect(result).toMatchObject({ received: 6, accepted: 3, changed: 2, rejectedCount: 3 });
      expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([
        [3, 'on_hand_negative'],
        [5, 'pzn_conflict'],
        [6, 'on_hand_not_integer'],
      ]);
      expect(JSON.stringify(result)).not.toContain('four');
      const levels = await inv.stock.readLevels(db.dataSource.manager, { pharmacyUid });
      expect(levels.map((l) => [l.articleId, l.onHand, l.available])).toEqual([
        ['GOOD-1', 6, 6],
        ['GOOD-2', 0, 0],
        ['KNOWN-1', 3, 3],
      ]);
    });

    it('of a JSON upload are reported the same way', async () => {
      const pharmacyUid = `${PHARMACY}-json`;
      const result = await db.dataSource.transaction((m) =>
        inv.stock.setMany(m, {
          pharmacyUid,
          lines: parseStockJson({
            lines: [
              { article_id: 'J-1', on_hand: 2 },
              { article_id: 'J-2', on_hand: 1.5 },
            ],
          }),
        }),
      );
      expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([[2, 'on_hand_not_integer']]);
      expect(
        (await inv.stock.readLevels(db.dataSource.manager, { pharmacyUid })).map((l) => l.articleId),
      ).toEqual(['J-1']);
    });

    it('refuses a single bad level', async () => {
      await expect(
        db.dataSource.transaction((m) =>
          inv.stock.setOne(m, { pharmacyUid: `${PHARMACY}-one`, articleId: 'X', onHand: -1 }),
        ),
      ).rejects.toMatchObject({ code: 'stock_level_invalid' });
    });
  });

  describe('a refused upload', () => {
    async function refusedApplies(
      pharmacyUid: string,
      csv: string,
      limits = { maxBytes: 1e7, maxLines: 1e6 },
    ) {
      let error: unknown;
      try {
        await db.dataSource.transaction((m) =>
          inv.stock.setMany(m, { pharmacyUid, lines: parseStockCsv(text(csv, 100), limits) }),
        );
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(StockUploadError);
      expect(await count(`SELECT count(*) AS n FROM article WHERE pharmacy_uid = '${pharmacyUid}'`)).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM stock_ledger WHERE pharmacy_uid = '${pharmacyUid}'`),
      ).toBe(0);
      return error as StockUploadError;
    }

    it('with bad quoting late in the file applies nothing, not even the lines before', async () => {
      const good = Array.from({ length: 6_000 }, (_, i) => `Q-${i},1`).join('\n');
      const error = await refusedApplies(`${PHARMACY}-quote`, `article_id,on_hand\n${good}\n"Q-x,1\nQ-y,2\n`);
      expect(error.code).toBe('csv_malformed');
    });

    it('that is too large applies nothing', async () => {
      const lines = Array.from({ length: 8_000 }, (_, i) => `L-${i},1`).join('\n');
      const error = await refusedApplies(`${PHARMACY}-large`, `article_id,on_hand\n${lines}`, {
        maxBytes: 50_000,
        maxLines: 1e6,
      });
      expect(error.code).toBe('upload_too_large');
    });

    it('with a wrong header applies nothing', async () => {
      expect((await refusedApplies(`${PHARMACY}-header`, 'article,stock\nA,1\n')).code).toBe(
        'csv_header_invalid',
      );
    });
  });
});
