import { Inject, Injectable } from '@nestjs/common';
import { type PharmacySku } from '@rxbridge/rxscale-client';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { PharmacySkuRepository } from './pharmacy-sku.repository.js';

export interface SkuSyncInput {
  pharmacyUid: string;
  /** Every pharmacy SKU of the pharmacy, as `GET /pharmacy_skus/` listed them (all pages). */
  skus: readonly PharmacySku[];
}

export interface SkuSyncResult {
  listed: number;
  mapped: number;
  /** SKUs mapped by PZN whose external_id is being written to RxScale. */
  externalIdsQueued: number;
  /** RxScale SKUs no PMS article matches. */
  unmappedSkus: string[];
  /** PMS articles no RxScale SKU matches. */
  unmappedArticles: string[];
  /** Mapped SKUs whose stock at RxScale differs from ours, queued for a push. */
  pushesQueued: number;
}

/**
 * Maps a pharmacy's RxScale SKUs to PMS articles (external_id, else PZN), writes the article id into
 * RxScale where it is missing, and repairs stock drift. The edge pages through RxScale first
 * (SkuSyncRunner) and calls this in one transaction.
 */
@Injectable()
export class SkuSyncService {
  constructor(
    private readonly skus: PharmacySkuRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async syncPharmacy(manager: EntityManager, input: SkuSyncInput): Promise<SkuSyncResult> {
    const at = this.clock.now();
    const listed = input.skus.filter((s) => s.pharmacy === input.pharmacyUid);
    await this.skus.storeListing(manager, input.pharmacyUid, listed, at);
    const mappings = await this.skus.mapToArticles(manager, input.pharmacyUid);
    const externalIdsQueued = await this.skus.requestExternalIds(
      manager,
      input.pharmacyUid,
      mappings.filter((m) => m.byPzn),
    );
    const pushesQueued = await this.skus.requestPushes(
      manager,
      input.pharmacyUid,
      mappings.map((m) => m.articleId),
    );
    const unmappedArticles = await this.skus.unmappedArticles(manager, input.pharmacyUid);
    return {
      listed: listed.length,
      mapped: mappings.length,
      externalIdsQueued,
      unmappedSkus: await this.skus.unmappedSkus(manager, input.pharmacyUid),
      unmappedArticles,
      pushesQueued,
    };
  }
}
