import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { IntervalJob, type ServiceLogger } from '@rxbridge/service-kit';
import { DataSource } from 'typeorm';
import { InventoryMetrics } from '../metrics/inventory-metrics.js';
import { SkuSyncRunner } from '../skus/sku-sync.runner.js';
import { StockReconciler } from '../skus/stock-reconciler.js';
import { inventoryPharmacies } from './inventory-pharmacies.js';
import { INVENTORY_SETTINGS, type InventorySettings } from '../inventory.tokens.js';

/** A run's summary over all pharmacies: counts only, never patient data (there is none here anyway). */
export type JobSummary = Record<string, number | string[]>;

/**
 * The schedules (the kit's IntervalJob): the SKU sync at start and every INVENTORY_SKU_SYNC_INTERVAL_SECONDS,
 * reconciliation every INVENTORY_RECONCILE_INTERVAL_SECONDS at RxScale's lowest priority. A pharmacy whose
 * run fails is counted and the others go on; the operations routes run either now (`runNow`).
 */
@Injectable()
export class InventoryJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly skuSync: IntervalJob;
  readonly reconcile: IntervalJob;

  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: SkuSyncRunner,
    private readonly reconciler: StockReconciler,
    private readonly metrics: InventoryMetrics,
    @Inject(INVENTORY_SETTINGS) private readonly settings: InventorySettings,
  ) {
    const logger: ServiceLogger = settings.logger;
    this.skuSync = new IntervalJob({
      name: 'sku-sync',
      intervalMs: settings.skuSyncIntervalSeconds * 1000,
      firstRunAfterMs: 0,
      run: () => this.syncAll(),
      logger,
    });
    this.reconcile = new IntervalJob({
      name: 'reconcile',
      intervalMs: settings.reconcileIntervalSeconds * 1000,
      run: () => this.reconcileAll(),
      logger,
    });
  }

  onApplicationBootstrap(): void {
    if (!this.settings.startJobs) return;
    this.skuSync.start();
    this.reconcile.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.skuSync.stop(), this.reconcile.stop()]);
  }

  private async syncAll(): Promise<JobSummary> {
    const summary = { pharmacies: 0, failed: 0, listed: 0, mapped: 0, externalIdsQueued: 0, pushesQueued: 0 };
    const unmappedSkus: string[] = [];
    for (const uid of await inventoryPharmacies(this.dataSource, this.settings.rxscale)) {
      summary.pharmacies++;
      try {
        const r = await this.runner.syncPharmacy(uid);
        summary.listed += r.listed;
        summary.mapped += r.mapped;
        summary.externalIdsQueued += r.externalIdsQueued;
        summary.pushesQueued += r.pushesQueued;
        unmappedSkus.push(...r.unmappedSkus);
        this.metrics.skuSyncs.inc({ outcome: 'ok' });
      } catch (error) {
        summary.failed++;
        this.metrics.skuSyncs.inc({ outcome: 'failed' });
        this.settings.logger.warn(
          { pharmacy_uid: uid, error_class: error instanceof Error ? error.name : 'unknown' },
          'SKU sync of a pharmacy failed; the next run tries again',
        );
      }
    }
    if (summary.failed > 0 && summary.failed === summary.pharmacies) throw new Error('every SKU sync failed');
    return { ...summary, unmappedSkus: unmappedSkus.length };
  }

  private async reconcileAll(): Promise<JobSummary> {
    const summary = { pharmacies: 0, failed: 0, listed: 0, disagreements: 0, pushesQueued: 0 };
    for (const uid of await inventoryPharmacies(this.dataSource, this.settings.rxscale)) {
      summary.pharmacies++;
      try {
        const r = await this.reconciler.reconcilePharmacy(uid);
        summary.listed += r.listed;
        summary.disagreements += r.disagreements;
        summary.pushesQueued += r.pushesQueued;
        if (r.disagreements > 0) this.metrics.disagreements.inc({ outcome: 'repaired' }, r.disagreements);
      } catch (error) {
        summary.failed++;
        this.settings.logger.warn(
          { pharmacy_uid: uid, error_class: error instanceof Error ? error.name : 'unknown' },
          'reconciliation of a pharmacy failed; the next run tries again',
        );
      }
    }
    if (summary.failed > 0 && summary.failed === summary.pharmacies)
      throw new Error('every reconciliation failed');
    return summary;
  }
}
