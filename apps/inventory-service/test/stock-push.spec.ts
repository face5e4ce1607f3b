import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { type RxscaleCommandRelay } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { waitFor } from '@rxbridge/testing';
import {
  InventoryCommandExecutor,
  type StockPushOutcome,
} from '../src/rxscale/inventory-command.executor.js';
import { parseStockJson } from '../src/stock/stock-ingest.js';
import {
  admin,
  commandRelay,
  inventoryServices,
  openTestDatabase,
  orderCompleted,
  orderReceived,
  pendingCommands,
  sandboxClients,
  sandboxPharmacy,
  sandboxStock,
  stockPushes,
  syncRunner,
  type SandboxPharmacy,
  type TestDatabase,
} from './support/inventory-test-kit.js';

describe(InventoryCommandExecutor.name, () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  const keys: Record<string, string> = {};
  let clients: ReturnType<typeof sandboxClients>;
  const inv = inventoryServices();
  const relays: RxscaleCommandRelay[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    sb = await startSandbox({ port: 0, rateLimit: false, webhooks: { baseDelayMs: 20 } });
    clients = sandboxClients(sb, keys);
  });
  afterEach(async () => {
    for (const r of relays.splice(0)) await r.stop();
    await admin(sb, 'DELETE', '/faults');
  });
  afterAll(async () => {
    await clients.close();
    await sb.close();
    await db.close();
  });

  function startRelay(ds: DataSource = db.dataSource, pushes: StockPushOutcome[] = []) {
    const relay = commandRelay(ds, clients, { stockPush: (o) => pushes.push(o) });
    relays.push(relay);
    return relay.start().then(() => relay);
  }

  /** A sandbox pharmacy with SKUs ART-0.., PMS levels for them, mapped by a sync. */
  async function mappedPharmacy(uid: string, count: number, initial: number): Promise<SandboxPharmacy> {
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count, stock: initial, externalIds: true });
    keys[uid] = ph.apiKey;
    await setLevels(uid, Object.fromEntries(ph.pharmacySkuUids.map((_, i) => [`ART-${i}`, initial])));
    const result = await syncRunner(db.dataSource, clients, inv.sync).syncPharmacy(uid);
    expect(result).toMatchObject({ listed: count, mapped: count, pushesQueued: 0, unmappedSkus: [] });
    return ph;
  }

  async function setLevels(pharmacyUid: string, levels: Record<string, number>) {
    return db.dataSource.transaction((m) =>
      inv.stock.setMany(m, {
        pharmacyUid,
        lines: parseStockJson({
          lines: Object.entries(levels).map(([article_id, on_hand]) => ({ article_id, on_hand })),
        }),
      }),
    );
  }

  async function pushesOf(ph: SandboxPharmacy): Promise<number> {
    return (await stockPushes(sb)).filter((p) => p.path.includes(`/psku-${ph.pharmacyUid}-`)).length;
  }

  async function converged(ph: SandboxPharmacy, expected: number[]): Promise<boolean> {
    const actual = await Promise.all(ph.pharmacySkuUids.map((u) => sandboxStock(sb, u)));
    return actual.every((v, i) => v === expected[i]) && (await pendingCommands(db.dataSource)) === 0;
  }

  describe('coalescing', () => {
    it('sends 1,000 updates over 10 SKUs as at most 10 pushes, each with the newest value', async () => {
      const ph = await mappedPharmacy('ph-burst', 10, 0);
      let final: number[] = [];
      for (let round = 1; round <= 100; round++) {
        final = ph.pharmacySkuUids.map((_, i) => (round * 7 + i * 13) % 50);
        await setLevels('ph-burst', Object.fromEntries(final.map((v, i) => [`ART-${i}`, v])));
      }
      expect(await pendingCommands(db.dataSource)).toBe(10);
      const outcomes: StockPushOutcome[] = [];
      await startRelay(db.dataSource, outcomes);
      await waitFor(() => converged(ph, final), 'the sandbox to hold the final values');
      expect(await pushesOf(ph)).toBeLessThanOrEqual(10);
      // one push per SKU whose value moved away from the 0 RxScale had, carrying the final value
      const pushed = Object.fromEntries(
        outcomes.flatMap((o) => (o.result === 'pushed' ? [[o.pharmacySkuUid, o.stock]] : [])),
      );
      const expected = Object.fromEntries(
        ph.pharmacySkuUids.flatMap((uid, i) => (final[i] === 0 ? [] : [[uid, final[i]]])),
      );
      expect(pushed).toEqual(expected);
      expect(await pushesOf(ph)).toBe(Object.keys(expected).length);
    });

    it('keeps converging while updates arrive during pushing, far below one push per update', async () => {
      const ph = await mappedPharmacy('ph-live', 5, 0);
      await startRelay();
      let final: number[] = [];
      for (let round = 1; round <= 60; round++) {
        final = ph.pharmacySkuUids.map((_, i) => round + i);
        await setLevels('ph-live', Object.fromEntries(final.map((v, i) => [`ART-${i}`, v])));
      }
      await waitFor(() => converged(ph, final), 'the sandbox to hold the final values');
      expect(await pushesOf(ph)).toBeLessThan(300);
    });

    it('makes no call when RxScale already has the value', async () => {
      const ph = await mappedPharmacy('ph-same', 2, 3);
      await setLevels('ph-same', { 'ART-0': 4 });
      await setLevels('ph-same', { 'ART-0': 3 });
      await startRelay();
      await waitFor(async () => (await pendingCommands(db.dataSource)) === 0, 'the queue to drain');
      expect(await pushesOf(ph)).toBe(0);
    });
  });

  describe('failures and restarts', () => {
    it('converges after RxScale errors and a restart in the middle of pushing', async () => {
      const ph = await mappedPharmacy('ph-restart', 10, 0);
      await admin(sb, 'POST', '/faults', {
        kind: 'latency',
        ms: 150,
        endpoint: { path: '/pharmacy_skus/{uid}/stock' },
      });
      await admin(sb, 'POST', '/faults', {
        kind: 'error',
        status: 503,
        rate: 0.5,
        count: 6,
        endpoint: { path: '/pharmacy_skus/{uid}/stock' },
      });
      await setLevels(
        'ph-restart',
        Object.fromEntries(ph.pharmacySkuUids.map((_, i) => [`ART-${i}`, 10 + i])),
      );
      const first = await startRelay();
      await waitFor(async () => (await pushesOf(ph)) >= 3, 'some pushes to start');
      await first.stop();
      relays.splice(relays.indexOf(first), 1);
      // the PMS moves on while no relay runs; a new process (own pool) picks the queue up
      const final = ph.pharmacySkuUids.map((_, i) => 30 + i);
      await setLevels('ph-restart', Object.fromEntries(final.map((v, i) => [`ART-${i}`, v])));
      const restarted = await db.replica();
      await startRelay(restarted);
      await waitFor(() => converged(ph, final), 'the sandbox to hold the final values');
    });
  });

  describe('a push RxScale refuses', () => {
    it('is settled as refused, not retried, when the SKU is gone at RxScale (404)', async () => {
      const ph = await mappedPharmacy('ph-gone', 1, 0);
      // a SKU we still hold but RxScale no longer has (e.g. a hidden SKU type, API.md §7.7)
      await db.dataSource.query(
        `INSERT INTO pharmacy_sku (pharmacy_sku_uid, pharmacy_uid, sku_uid, article_id, rxscale_stock, synced_at)
         VALUES ('psku-ph-gone-missing', 'ph-gone', 'sku-missing', 'ART-GONE', 0, now())`,
      );
      await setLevels('ph-gone', { 'ART-GONE': 5 });
      await startRelay();
      const rows = await waitFor(async () => {
        const r = await db.dataSource.query<{ status: string; attempts: number; reason: string }[]>(
          `SELECT status, attempts, reason FROM rxscale_command WHERE target_uid = 'psku-ph-gone-missing'`,
        );
        return r[0]?.status === 'pending' ? undefined : r;
      }, 'the command to settle');
      expect(rows).toEqual([{ status: 'refused', attempts: 1, reason: expect.stringContaining('404') }]);
      expect(await pushesOf(ph)).toBe(1);
    });
  });

  describe('reservations and completion at RxScale', () => {
    it('pushes available = on hand - reserved and does not count a completed order twice', async () => {
      const ph = await mappedPharmacy('ph-complete', 1, 0);
      const psku = ph.pharmacySkuUids[0]!;
      await setLevels('ph-complete', { 'ART-0': 10 });
      await startRelay();
      await waitFor(async () => (await sandboxStock(sb, psku)) === 10, 'the level to reach RxScale');

      const order = await admin<{ uid: string }>(sb, 'POST', '/orders', {
        pharmacy_uid: 'ph-complete',
        items: [{ pharmacy_sku_uid: psku, amount: 3, total_paid_amount: 3000 }],
      });
      await db.dataSource.transaction((m) =>
        inv.reservations.reserve(
          m,
          orderReceived('ph-complete', order.uid, [{ pharmacySkuUid: psku, quantity: 3 }]),
        ),
      );
      await waitFor(async () => (await sandboxStock(sb, psku)) === 7, 'the reservation to reach RxScale');

      const rx = clients.client('ph-complete');
      for (const status of ['pending review', 'in-progress', 'ready_for_pickup'] as const)
        await rx.updatePharmacyOrderStatus(order.uid, { status });
      await rx.completePharmacyOrder(order.uid, { carrier: 'DHL', tracking_number: 'JJD-TEST-1' });
      // RxScale lowered its own count by the 3 units our push had already left out
      expect(await sandboxStock(sb, psku)).toBe(4);

      await db.dataSource.transaction((m) =>
        inv.reservations.deduct(m, orderCompleted('ph-complete', order.uid)),
      );
      await waitFor(
        async () => (await sandboxStock(sb, psku)) === 7,
        'RxScale to show on hand 7, none reserved',
      );
      const [level] = await inv.stock.readLevels(db.dataSource.manager, { pharmacyUid: 'ph-complete' });
      expect(level).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
    });
  });

  describe('a change in the Pharmacy Portal', () => {
    let receiver: Server;
    const reports: { outcome: string }[] = [];

    beforeAll(async () => {
      // stands in for gateway + Kafka handler: each pharmacy_sku_stock_updated goes to the use case
      receiver = createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
            data: { uid: string; pharmacy: string; stock: number };
          };
          db.dataSource
            .transaction((m) =>
              inv.drift.onRxscaleStockReported(m, {
                pharmacyUid: body.data.pharmacy,
                pharmacySkuUid: body.data.uid,
                stock: body.data.stock,
              }),
            )
            .then((r) => {
              reports.push(r);
              res.writeHead(200).end();
            })
            .catch(() => res.writeHead(500).end());
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => receiver.close(resolve));
    });

    it('is detected, counted and repaired, and the echo of our push does not loop', async () => {
      const ph = await mappedPharmacy('ph-portal', 2, 0);
      const psku = ph.pharmacySkuUids[0]!;
      await setLevels('ph-portal', { 'ART-0': 12 });
      await startRelay();
      await waitFor(async () => (await sandboxStock(sb, psku)) === 12, 'the level to reach RxScale');
      const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      await clients
        .client('ph-portal')
        .registerWebhook({ target, notification_type: 'pharmacy_sku_stock_updated' });
      // our own PATCHes echo back as webhooks too: the worst case for a loop
      await admin(sb, 'PATCH', '/settings', { echoApiStockChanges: true });
      const pushesBefore = await pushesOf(ph);

      await admin(sb, 'PATCH', `/pharmacy-skus/${psku}/stock`, { stock: 40 });
      await waitFor(
        async () => (await sandboxStock(sb, psku)) === 12 && reports.length >= 2,
        'the repair and its echo',
      );
      expect(reports.map((r) => r.outcome)).toEqual(['repaired', 'agrees']);
      const disagreements = await db.dataSource.query<{ reported_stock: number; repaired_to: number }[]>(
        `SELECT reported_stock, repaired_to FROM stock_disagreement WHERE pharmacy_sku_uid = $1`,
        [psku],
      );
      expect(disagreements).toEqual([{ reported_stock: 40, repaired_to: 12 }]);
      // give a loop the time to show itself
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await pushesOf(ph)).toBe(pushesBefore + 1);
      expect(reports).toHaveLength(2);
      await admin(sb, 'PATCH', '/settings', { echoApiStockChanges: false });
    });
  });
});
