import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { decodeRxScaleEvent, type EventOfType } from '@rxbridge/contracts';
import { z } from 'zod';
import { OnEvent, PermanentError, PlumbingContext } from '@rxbridge/service-kit';
import { InventoryMetrics } from '../metrics/inventory-metrics.js';
import { StockDriftService } from '../skus/stock-drift.service.js';

const StockReport = z.looseObject({
  uid: z.string().min(1),
  stock: z.number().int().min(0),
  pharmacy: z.union([z.string().min(1), z.looseObject({ uid: z.string().min(1) })]),
});

/**
 * `rxscale.pharmacy-skus.v1`: RxScale reports a SKU's stock (a change in the Pharmacy Portal, or the echo of
 * our own push). StockDriftService decides: agrees, or the PMS wins and the value is pushed again.
 */
@Controller()
export class SkuEventsHandler {
  constructor(
    private readonly drift: StockDriftService,
    private readonly metrics: InventoryMetrics,
  ) {}

  @OnEvent('rxscale.pharmacy_sku_stock_updated')
  async stockUpdated(
    @Payload() event: EventOfType<'rxscale.pharmacy_sku_stock_updated'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    const decoded = decodeRxScaleEvent(event);
    if (!decoded.ok) throw new PermanentError(decoded.error, 'invalid_webhook');
    // Only what the decision needs, read loosely: API.md §11.6 assumes the payload's shape, and the
    // documented example carries just uid, external_id, stock and pharmacy (not a whole PharmacySku).
    const parsed = StockReport.safeParse(decoded.envelope.data);
    if (!parsed.success)
      throw new PermanentError(
        'pharmacy_sku_stock_updated without a uid, a whole non-negative stock and a pharmacy',
        'invalid_webhook',
      );
    const sku = {
      ...parsed.data,
      pharmacy: typeof parsed.data.pharmacy === 'string' ? parsed.data.pharmacy : parsed.data.pharmacy.uid,
    };
    const result = await this.drift.onRxscaleStockReported(ctx.manager, {
      pharmacyUid: sku.pharmacy,
      pharmacySkuUid: sku.uid,
      stock: sku.stock,
    });
    if (result.outcome === 'repaired') this.metrics.disagreements.inc({ outcome: 'repaired' });
  }
}
