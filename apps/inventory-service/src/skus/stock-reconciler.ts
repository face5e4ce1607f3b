import { Inject, Injectable } from '@nestjs/common';
import { type PharmacySku } from '@rxbridge/rxscale-client';
import { DataSource } from 'typeorm';
import { RXSCALE_CLIENTS, type RxscaleClientPort } from '../rxscale/rxscale-client.port.js';
import { PharmacySkuRepository } from './pharmacy-sku.repository.js';
import { StockDriftService } from './stock-drift.service.js';

export interface ReconcileResult {
  listed: number;
  /** SKUs whose level at RxScale differed from ours (recorded as disagreements and pushed again). */
  disagreements: number;
  pushesQueued: number;
}

/**
 * Reconciliation: reads a pharmacy's SKUs from RxScale (at the budget's lowest priority, the listing's
 * default) and treats every listed level as a report (StockDriftService: a disagreement is recorded and the
 * PMS's value pushed again), then queues a push for every mapped SKU whose recorded value still differs.
 * No mapping changes: that is the SKU sync's work.
 */
@Injectable()
export class StockReconciler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly skus: PharmacySkuRepository,
    private readonly drift: StockDriftService,
    @Inject(RXSCALE_CLIENTS) private readonly clients: RxscaleClientPort,
  ) {}

  async reconcilePharmacy(pharmacyUid: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const listed: PharmacySku[] = [];
    for await (const sku of this.clients
      .clientFor(pharmacyUid)
      .iteratePharmacySkus({ limit: 200 }, { pharmacyUid, signal }))
      if (sku.pharmacy === pharmacyUid && !sku.deleted_at) listed.push(sku);
    return this.dataSource.transaction(async (manager) => {
      let disagreements = 0;
      for (const sku of listed) {
        const result = await this.drift.onRxscaleStockReported(manager, {
          pharmacyUid,
          pharmacySkuUid: sku.uid,
          stock: sku.stock,
        });
        if (result.outcome === 'repaired') disagreements++;
      }
      const pushesQueued = await this.skus.requestPushes(
        manager,
        pharmacyUid,
        await this.skus.mappedArticleIds(manager, pharmacyUid),
      );
      return { listed: listed.length, disagreements, pushesQueued };
    });
  }
}
