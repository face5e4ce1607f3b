import { type DataSource } from 'typeorm';
import { StockReservationService } from '../src/reservations/stock-reservation.service.js';
import { parseStockJson } from '../src/stock/stock-ingest.js';
import {
  inventoryServices,
  openTestDatabase,
  orderCancelled,
  orderCompleted,
  orderReceived,
  outboxEvents,
  type TestDatabase,
} from './support/inventory-test-kit.js';

describe(StockReservationService.name, () => {
  let db: TestDatabase;
  let replica: DataSource;
  const inv = inventoryServices();

  beforeAll(async () => {
    db = await openTestDatabase();
    replica = await db.replica();
  });
  afterAll(async () => {
    await db.close();
  });

  async function levels(pharmacyUid: string, articles: Record<string, number>): Promise<void> {
    await db.dataSource.transaction((m) =>
      inv.stock.setMany(m, {
        pharmacyUid,
        lines: parseStockJson({
          lines: Object.entries(articles).map(([article_id, on_hand]) => ({ article_id, on_hand })),
        }),
      }),
    );
  }

  async function level(pharmacyUid: string, articleId: string) {
    const [l] = await inv.stock.readLevels(db.dataSource.manager, { pharmacyUid, articleIds: [articleId] });
    return l!;
  }

  describe('reserving', () => {
    it('holds every line of an order, or none and says what is missing', async () => {
      const ph = 'ph-all-or-none';
      await levels(ph, { 'A-1': 5, 'A-2': 1 });
      const failed = await db.dataSource.transaction((m) =>
        inv.reservations.reserve(
          m,
          orderReceived(ph, 'po-none', [
            { externalId: 'A-1', quantity: 2 },
            { externalId: 'A-2', quantity: 2 },
            { externalId: 'NOPE', quantity: 1 },
          ]),
        ),
      );
      expect(failed).toEqual({
        outcome: 'failed',
        missing: [
          { pharmacy_sku_uid: null, external_id: 'A-2', pzn: null, requested: 2, available: 1 },
          { pharmacy_sku_uid: null, external_id: 'NOPE', pzn: null, requested: 1, available: 0 },
        ],
      });
      expect((await level(ph, 'A-1')).reserved).toBe(0);
      const events = await outboxEvents(db.dataSource, 'pharmacy.stock.reservation-failed');
      expect(events.filter((e) => e.data.pharmacy_order_uid === 'po-none')).toHaveLength(1);

      const ok = await db.dataSource.transaction((m) =>
        inv.reservations.reserve(
          m,
          orderReceived(ph, 'po-all', [
            { externalId: 'A-1', quantity: 2 },
            { externalId: 'A-1', quantity: 3 },
          ]),
        ),
      );
      expect(ok.outcome).toBe('reserved');
      expect(await level(ph, 'A-1')).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
      const ledger = await inv.stockRepository.ledger(db.dataSource.manager, ph, 'A-1');
      expect(ledger.at(-1)).toMatchObject({ cause: 'reservation', reservedDelta: 5, reference: 'po-all' });
      const changed = await outboxEvents(db.dataSource, 'pharmacy.stock.level-changed');
      expect(changed.at(-1)?.data).toMatchObject({
        external_id: 'A-1',
        on_hand: 5,
        reserved: 5,
        available: 0,
      });

      // a replay of the same order changes nothing
      const replay = await db.dataSource.transaction((m) =>
        inv.reservations.reserve(m, orderReceived(ph, 'po-all', [{ externalId: 'A-1', quantity: 2 }])),
      );
      expect(replay).toEqual({ outcome: 'already-handled', state: 'held' });
      expect((await level(ph, 'A-1')).reserved).toBe(5);
    });

    it('gives the last unit to exactly one of two orders racing on two replicas', async () => {
      const ph = 'ph-race';
      for (let round = 0; round < 8; round++) {
        const article = `LAST-${round}`;
        await levels(ph, { [article]: 1 });
        // both transactions are open and have read before either reserves: a JS barrier lines them up
        let arrived = 0;
        let release!: () => void;
        const bothInside = new Promise<void>((resolve) => (release = resolve));
        const attempt = (ds: DataSource, order: string) =>
          ds.transaction(async (m) => {
            await m.query('SELECT pg_backend_pid()');
            if (++arrived === 2) release();
            await bothInside;
            return inv.reservations.reserve(
              m,
              orderReceived(ph, order, [{ externalId: article, quantity: 1 }]),
            );
          });
        const results = await Promise.all([
          attempt(db.dataSource, `po-race-${round}-a`),
          attempt(replica, `po-race-${round}-b`),
        ]);
        expect(results.map((r) => r.outcome).sort()).toEqual(['failed', 'reserved']);
        expect(await level(ph, article)).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
      }
    });
  });

  describe('releasing on cancellation', () => {
    it('makes the units available again, once', async () => {
      const ph = 'ph-release';
      await levels(ph, { 'R-1': 4 });
      await db.dataSource.transaction((m) =>
        inv.reservations.reserve(m, orderReceived(ph, 'po-rel', [{ externalId: 'R-1', quantity: 3 }])),
      );
      const released = await db.dataSource.transaction((m) =>
        inv.reservations.release(m, orderCancelled(ph, 'po-rel')),
      );
      expect(released.outcome).toBe('released');
      expect(await level(ph, 'R-1')).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
      const again = await db.dataSource.transaction((m) =>
        inv.reservations.release(m, orderCancelled(ph, 'po-rel')),
      );
      expect(again).toEqual({ outcome: 'nothing-held', state: 'released' });
      expect((await level(ph, 'R-1')).reserved).toBe(0);
      const events = await outboxEvents(db.dataSource, 'pharmacy.stock.released');
      expect(events.filter((e) => e.data.pharmacy_order_uid === 'po-rel')).toHaveLength(1);
    });

    it('of an order not seen yet keeps it from reserving when it arrives late', async () => {
      const ph = 'ph-release-early';
      await levels(ph, { 'E-1': 4 });
      await db.dataSource.transaction((m) => inv.reservations.release(m, orderCancelled(ph, 'po-early')));
      const late = await db.dataSource.transaction((m) =>
        inv.reservations.reserve(m, orderReceived(ph, 'po-early', [{ externalId: 'E-1', quantity: 1 }])),
      );
      expect(late).toEqual({ outcome: 'already-handled', state: 'released' });
      expect((await level(ph, 'E-1')).reserved).toBe(0);
    });
  });

  describe('deducting on completion', () => {
    it('takes the units off the shelf without changing what is available, once', async () => {
      const ph = 'ph-deduct';
      await levels(ph, { 'D-1': 10 });
      await db.dataSource.transaction((m) =>
        inv.reservations.reserve(m, orderReceived(ph, 'po-ded', [{ externalId: 'D-1', quantity: 4 }])),
      );
      const deducted = await db.dataSource.transaction((m) =>
        inv.reservations.deduct(m, orderCompleted(ph, 'po-ded')),
      );
      expect(deducted.outcome).toBe('deducted');
      expect(await level(ph, 'D-1')).toMatchObject({ onHand: 6, reserved: 0, available: 6 });
      const again = await db.dataSource.transaction((m) =>
        inv.reservations.deduct(m, orderCompleted(ph, 'po-ded')),
      );
      expect(again).toEqual({ outcome: 'nothing-held', state: 'deducted' });
      // a cancellation after completion releases nothing
      const cancel = await db.dataSource.transaction((m) =>
        inv.reservations.release(m, orderCancelled(ph, 'po-ded')),
      );
      expect(cancel.outcome).toBe('nothing-held');
      expect(await level(ph, 'D-1')).toMatchObject({ onHand: 6, reserved: 0 });
      const ledger = await inv.stockRepository.ledger(db.dataSource.manager, ph, 'D-1');
      expect(ledger.map((l) => [l.cause, l.onHandDelta, l.reservedDelta])).toEqual([
        ['pms-level', 10, 0],
        ['reservation', 0, 4],
        ['deduction', -4, -4],
      ]);
    });
  });
});
