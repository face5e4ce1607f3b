import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { type RxscaleCommandRelay } from '@rxbridge/service-kit';
import { waitFor } from '@rxbridge/testing';
import { SkuSyncService } from '../src/skus/sku-sync.service.js';
import { parseStockJson } from '../src/stock/stock-ingest.js';
import {
  admin,
  commandRelay,
  inventoryServices,
  openTestDatabase,
  pendingCommands,
  pznOf,
  sandboxClients,
  sandboxPharmacy,
  sandboxStock,
  syncRunner,
  type TestDatabase,
} from './support/inventory-test-kit.js';

describe(SkuSyncService.name, () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  const keys: Record<string, string> = {};
  let clients: ReturnType<typeof sandboxClients>;
  let relay: RxscaleCommandRelay | undefined;
  const inv = inventoryServices();

  beforeAll(async () => {
    db = await openTestDatabase();
    sb = await startSandbox({ port: 0, rateLimit: false });
    clients = sandboxClients(sb, keys);
  });
  afterAll(async () => {
    await relay?.stop();
    await clients.close();
    await sb.close();
    await db.close();
  });

  it('maps by external_id, else by PZN, writes the article id to RxScale, reports both sides and repairs drift', async () => {
    const ph = 'ph-sync';
    // SKUs 0-2 carry external ids ART-0..2; 3-5 have none; the listing takes three pages of 2
    const withIds = await sandboxPharmacy(sb, { pharmacyUid: ph, count: 3, stock: 5, externalIds: true });
    keys[ph] = withIds.apiKey;
    const noIds: string[] = [];
    for (let i = 3; i < 6; i++) {
      await admin(sb, 'POST', '/skus', {
        uid: `sku-${ph}-${i}`,
        display_name: `Testpräparat ${i}`,
        pzn: pznOf(i),
      });
      noIds.push(
        (
          await admin<{ uid: string }>(sb, 'POST', '/pharmacy-skus', {
            uid: `psku-${ph}-${i}`,
            pharmacy_uid: ph,
            sku_uid: `sku-${ph}-${i}`,
            price: 990,
            stock: 5,
          })
        ).uid,
      );
    }
    // the PMS: ART-0 and ART-1 by id, PMS-3 and PMS-4 by PZN, PMS-9 unknown at RxScale; PZN of SKU 5 is on
    // two articles, so it stays unmapped rather than guessed
    await db.dataSource.transaction((m) =>
      inv.stock.setMany(m, {
        pharmacyUid: ph,
        lines: parseStockJson({
          lines: [
            { article_id: 'ART-0', on_hand: 5 },
            { article_id: 'ART-1', on_hand: 8 },
            { article_id: 'PMS-3', on_hand: 5, pzn: pznOf(3) },
            { article_id: 'PMS-4', on_hand: 2, pzn: pznOf(4) },
            { article_id: 'PMS-5a', on_hand: 1, pzn: pznOf(5) },
            { article_id: 'PMS-5b', on_hand: 1, pzn: pznOf(5) },
            { article_id: 'PMS-9', on_hand: 1 },
          ],
        }),
      }),
    );

    const result = await syncRunner(db.dataSource, clients, inv.sync).syncPharmacy(ph);
    expect(result).toEqual({
      listed: 6,
      mapped: 4,
      externalIdsQueued: 2,
      unmappedSkus: [withIds.pharmacySkuUids[2], noIds[2]],
      unmappedArticles: ['PMS-5a', 'PMS-5b', 'PMS-9'],
      // ART-1 (8 vs 5) and PMS-4 (2 vs 5) differ from what RxScale lists
      pushesQueued: 2,
    });
    expect(await pendingCommands(db.dataSource, 'sku.external-id')).toBe(2);

    relay = commandRelay(db.dataSource, clients);
    await relay.start();
    await waitFor(
      async () =>
        (await pendingCommands(db.dataSource, 'sku.external-id')) + (await pendingCommands(db.dataSource)) ===
        0,
      'the commands to run',
    );
    const at = async (uid: string) =>
      admin<{ external_id: string | null; stock: number }>(sb, 'GET', `/pharmacy-skus/${uid}`);
    expect((await at(noIds[0]!)).external_id).toBe('PMS-3');
    expect((await at(noIds[1]!)).external_id).toBe('PMS-4');
    expect((await at(noIds[2]!)).external_id ?? null).toBeNull();
    expect(await sandboxStock(sb, withIds.pharmacySkuUids[1]!)).toBe(8);
    expect(await sandboxStock(sb, noIds[1]!)).toBe(2);
    expect(await sandboxStock(sb, withIds.pharmacySkuUids[2]!)).toBe(5);

    // a second sync finds nothing left to do
    const again = await syncRunner(db.dataSource, clients, inv.sync).syncPharmacy(ph);
    expect(again).toMatchObject({ mapped: 4, externalIdsQueued: 0, pushesQueued: 0 });
  });

  it('marks SKUs that vanished from the listing as deleted and stops pushing them', async () => {
    const ph = 'ph-vanish';
    const p = await sandboxPharmacy(sb, { pharmacyUid: ph, count: 2, stock: 1, externalIds: true });
    keys[ph] = p.apiKey;
    await db.dataSource.transaction((m) =>
      inv.stock.setMany(m, {
        pharmacyUid: ph,
        lines: parseStockJson({ lines: [{ article_id: 'ART-0', on_hand: 1 }] }),
      }),
    );
    expect((await syncRunner(db.dataSource, clients, inv.sync).syncPharmacy(ph)).mapped).toBe(1);
    await db.dataSource.transaction((m) => inv.sync.syncPharmacy(m, { pharmacyUid: ph, skus: [] }));
    expect((await inv.skuRepository.find(db.dataSource.manager, p.pharmacySkuUids[0]!))?.deleted).toBe(true);
    const queued = await db.dataSource.transaction((m) =>
      inv.stock.setMany(m, {
        pharmacyUid: ph,
        lines: parseStockJson({ lines: [{ article_id: 'ART-0', on_hand: 9 }] }),
      }),
    );
    expect(queued.pushesQueued).toBe(0);
  });
});
