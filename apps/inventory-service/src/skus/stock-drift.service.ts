import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { PharmacySkuRepository } from './pharmacy-sku.repository.js';

export interface RxscaleStockReport {
  pharmacyUid: string;
  pharmacySkuUid: string;
  /** The stock RxScale says the SKU has (pharmacy_sku_stock_updated, DESIGN.md §11). */
  stock: number;
}

export type StockReportResult =
  /** RxScale has what we pushed (often the echo of our own PATCH): nothing to do. */
  | { outcome: 'agrees' }
  /** RxScale disagrees: the PMS wins, the disagreement is recorded and our value queued again. */
  | { outcome: 'repaired'; reported: number; expected: number }
  /** A SKU we have no PMS level for: RxScale's value is noted, nothing is pushed. */
  | { outcome: 'unmapped' }
  /** A SKU the last sync did not list: the next sync picks it up. */
  | { outcome: 'unknown-sku' };

/**
 * A stock value reported by RxScale (a change in the Pharmacy Portal). It never loops: a push is queued
 * only when the report differs from the value we want, and the echo of that push then agrees.
 */
@Injectable()
export class StockDriftService {
  constructor(
    private readonly skus: PharmacySkuRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onRxscaleStockReported(
    manager: EntityManager,
    report: RxscaleStockReport,
  ): Promise<StockReportResult> {
    const at = this.clock.now();
    const state = await this.skus.lockPushState(manager, report.pharmacySkuUid);
    if (!state || state.pharmacyUid !== report.pharmacyUid || state.deleted)
      return { outcome: 'unknown-sku' };
    // what we last pushed (or RxScale last told us): the echo of our own PATCH ends here, even when the
    // PMS has moved on since, because that newer value has its own push queued already
    if (report.stock === state.rxscaleStock) return { outcome: 'agrees' };
    await this.skus.recordReported(manager, report.pharmacySkuUid, report.stock, at);
    if (state.desired === null) return { outcome: 'unmapped' };
    if (report.stock === state.desired) return { outcome: 'agrees' };
    await this.skus.recordDisagreement(manager, {
      pharmacyUid: report.pharmacyUid,
      pharmacySkuUid: report.pharmacySkuUid,
      reported: report.stock,
      expected: state.desired,
      repairedTo: state.desired,
      at,
    });
    const row = await this.skus.find(manager, report.pharmacySkuUid);
    if (row?.articleId) await this.skus.requestPushes(manager, report.pharmacyUid, [row.articleId]);
    return { outcome: 'repaired', reported: report.stock, expected: state.desired };
  }
}
