import { Controller, HttpCode, Post } from '@nestjs/common';
import { RequireScope, ZodBody, ZodResponse, type IntervalJob } from '@rxbridge/service-kit';
import { DataSource } from 'typeorm';
import { type z } from 'zod';
import { InventoryJobs } from '../jobs/inventory-jobs.js';
import { PharmacySkuRepository } from '../skus/pharmacy-sku.repository.js';
import { JobRunAnswer, StockPushAnswer, StockPushBody } from './stock.schemas.js';

async function runNow(name: string, job: IntervalJob) {
  const run = await job.runNow();
  return {
    job: name,
    started_at: run.startedAt.toISOString(),
    duration_ms: run.durationMs,
    ok: run.ok,
    ...(run.summary ? { summary: run.summary } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
}

/** Operator routes: run a schedule now (the same IntervalJob the timer runs) and answer its summary. */
@Controller('operations')
export class OperationsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: InventoryJobs,
    private readonly skus: PharmacySkuRepository,
  ) {}

  @Post('sku-sync')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(200, JobRunAnswer, 'The SKU sync ran (or the run in progress ended)')
  skuSync() {
    return runNow('sku-sync', this.jobs.skuSync);
  }

  @Post('reconcile')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(200, JobRunAnswer, 'Reconciliation ran (or the run in progress ended)')
  reconcile() {
    return runNow('reconcile', this.jobs.reconcile);
  }

  /**
   * Queues a push for the given pharmacy SKUs (all mapped SKUs without a list) where RxScale lacks our
   * value; coalesced with pending pushes, like every push.
   */
  @Post('stock-push')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(200, StockPushAnswer, 'Pushes queued')
  async stockPush(@ZodBody(StockPushBody.optional()) body: z.infer<typeof StockPushBody> | undefined) {
    return this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<{ pharmacy_uid: string; article_id: string }[]>(
        `SELECT pharmacy_uid, article_id FROM pharmacy_sku
         WHERE deleted_at IS NULL AND article_id IS NOT NULL AND ($1::text[] IS NULL OR pharmacy_sku_uid = ANY($1::text[]))`,
        [body?.skus ?? null],
      );
      const byPharmacy = new Map<string, string[]>();
      for (const r of rows)
        byPharmacy.set(r.pharmacy_uid, [...(byPharmacy.get(r.pharmacy_uid) ?? []), r.article_id]);
      let queued = 0;
      for (const [uid, articles] of byPharmacy)
        queued += await this.skus.requestPushes(manager, uid, articles);
      return { skus: rows.length, pushes_queued: queued };
    });
  }
}
