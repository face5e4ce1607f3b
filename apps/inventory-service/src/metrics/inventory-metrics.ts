import { type ServiceMetrics } from '@rxbridge/service-kit';
import { Counter, Gauge } from 'prom-client';
import { type DataSource } from 'typeorm';
import {
  type InventoryCommandObserver,
  type StockPushOutcome,
} from '../rxscale/inventory-command.executor.js';

/**
 * inventory-service's own series on the kit's registry (issue 11). Counters move as things happen; the
 * gauges (unmapped on both sides, pending pushes) are read from the database at each scrape, so every
 * replica reports the same, current values.
 */
export class InventoryMetrics implements InventoryCommandObserver {
  readonly stockPushes: Counter<'result'>;
  readonly disagreements: Counter<'outcome'>;
  readonly reservations: Counter<'outcome'>;
  readonly uploadLines: Counter<'result'>;
  readonly skuSyncs: Counter<'outcome'>;
  readonly unmappedSkus: Gauge<'pharmacy'>;
  readonly unmappedArticles: Gauge<'pharmacy'>;
  readonly pendingPushes: Gauge;

  constructor(readonly service: ServiceMetrics) {
    const registers = [service.registry];
    this.stockPushes = new Counter({
      name: 'rxbridge_inventory_stock_pushes_total',
      help: 'Stock commands run: pushed (a PATCH sent) or skipped (rxscale-has-it, unmapped, deleted)',
      labelNames: ['result'],
      registers,
    });
    this.disagreements = new Counter({
      name: 'rxbridge_inventory_stock_disagreements_total',
      help: 'RxScale reported a stock level different from ours (portal change or drift); repaired: pushed again',
      labelNames: ['outcome'],
      registers,
    });
    this.reservations = new Counter({
      name: 'rxbridge_inventory_reservations_total',
      help: "Orders handled: reserved, failed (stock missing), released, deducted, nothing-held, already-handled, not-served (another deployment's pharmacy)",
      labelNames: ['outcome'],
      registers,
    });
    this.uploadLines = new Counter({
      name: 'rxbridge_inventory_upload_lines_total',
      help: 'Stock lines received from the PMS: accepted or rejected',
      labelNames: ['result'],
      registers,
    });
    this.skuSyncs = new Counter({
      name: 'rxbridge_inventory_sku_syncs_total',
      help: "Pharmacies' SKU syncs by outcome (ok, failed)",
      labelNames: ['outcome'],
      registers,
    });
    this.unmappedSkus = new Gauge({
      name: 'rxbridge_inventory_unmapped_skus',
      help: 'Live RxScale pharmacy SKUs no PMS article is mapped to, per pharmacy',
      labelNames: ['pharmacy'],
      registers,
    });
    this.unmappedArticles = new Gauge({
      name: 'rxbridge_inventory_unmapped_articles',
      help: 'PMS articles no live RxScale pharmacy SKU is mapped to, per pharmacy',
      labelNames: ['pharmacy'],
      registers,
    });
    this.pendingPushes = new Gauge({
      name: 'rxbridge_inventory_pending_stock_pushes',
      help: 'sku.stock commands waiting to run',
      registers,
    });
  }

  stockPush(outcome: StockPushOutcome): void {
    this.stockPushes.inc({ result: outcome.result === 'pushed' ? 'pushed' : `skipped_${outcome.reason}` });
  }

  /** Reads the gauges from the service's schema at each scrape. */
  collectFrom(dataSource: DataSource): () => void {
    return this.service.addCollector('inventory', async () => {
      const [skus, articles, pending] = await Promise.all([
        dataSource.query<{ pharmacy_uid: string; n: string }[]>(
          `SELECT pharmacy_uid, count(*) FILTER (WHERE article_id IS NULL) AS n FROM pharmacy_sku
           WHERE deleted_at IS NULL GROUP BY pharmacy_uid`,
        ),
        dataSource.query<{ pharmacy_uid: string; n: string }[]>(
          `SELECT a.pharmacy_uid, count(*) FILTER (WHERE s.pharmacy_sku_uid IS NULL) AS n FROM article a
           LEFT JOIN pharmacy_sku s ON s.pharmacy_uid = a.pharmacy_uid AND s.article_id = a.article_id AND s.deleted_at IS NULL
           GROUP BY a.pharmacy_uid`,
        ),
        dataSource.query<{ n: string }[]>(
          `SELECT count(*) AS n FROM rxscale_command WHERE status = 'pending' AND kind = 'sku.stock'`,
        ),
      ]);
      this.unmappedSkus.reset();
      for (const r of skus) this.unmappedSkus.set({ pharmacy: r.pharmacy_uid }, Number(r.n));
      this.unmappedArticles.reset();
      for (const r of articles) this.unmappedArticles.set({ pharmacy: r.pharmacy_uid }, Number(r.n));
      this.pendingPushes.set(Number(pending[0]?.n ?? 0));
    });
  }
}
