import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { PharmacySkuRepository } from '../skus/pharmacy-sku.repository.js';
import {
  parseStockJson,
  type RejectedStockLine,
  type StockIngestItem,
  type StockLevelLine,
} from './stock-ingest.js';
import { enqueueLevelChanges } from './stock-level-events.js';
import { StockError, StockLineRejectionCodes } from './stock.errors.js';
import { StockRepository, type ArticleLevel } from './stock.repository.js';

const accepted = (received: number, rejected: number) => received - rejected;

/** Lines staged per round trip. */
const STAGE_CHUNK = 5_000;
/** Rejections listed in a result; beyond that only counted, so a broken file cannot blow up the answer. */
const MAX_LISTED_REJECTIONS = 1_000;

export interface SetStockLevelsInput {
  pharmacyUid: string;
  /** From parseStockCsv or parseStockJson; consumed once, as it streams. */
  lines: AsyncIterable<StockIngestItem> | Iterable<StockIngestItem>;
}

export interface StockUploadResult {
  /** Lines read (good and bad). */
  received: number;
  /** Good lines (the last of an article wins). */
  accepted: number;
  /** Articles whose on-hand count changed. */
  changed: number;
  rejectedCount: number;
  /** The first rejections, by line, without the submitted values. */
  rejected: RejectedStockLine[];
  pushesQueued: number;
  /** Unmapped SKUs this upload's new articles mapped (by external_id, else a unique PZN). */
  skusMapped: number;
  /** Of those, mapped by PZN: their article id is being written into RxScale's external_id. */
  externalIdsQueued: number;
}

export interface SetStockLevelInput {
  pharmacyUid: string;
  articleId: string;
  onHand: number;
  pzn?: string | null;
}

export interface ReadStockLevelsInput {
  pharmacyUid: string;
  articleIds?: readonly string[];
  limit?: number;
  after?: string;
}

/**
 * The PMS's stock levels in (the PMS is the source of truth for what is on the shelf, DESIGN.md §1):
 * stored, written to the ledger, announced, and queued for RxScale, all in the caller's transaction.
 */
@Injectable()
export class StockLevelService {
  constructor(
    private readonly stock: StockRepository,
    private readonly skus: PharmacySkuRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Applies an upload as one unit: lines are staged in chunks as they stream in and applied with
   * set-based SQL at the end. An upload that turns out malformed or too large throws from `lines`
   * before anything is applied, and the caller's transaction rolls the staging back.
   */
  async setMany(manager: EntityManager, input: SetStockLevelsInput): Promise<StockUploadResult> {
    const at = this.clock.now();
    await this.stock.openUpload(manager);
    const rejected: RejectedStockLine[] = [];
    let rejectedCount = 0;
    let received = 0;
    let chunk: StockLevelLine[] = [];
    const reject = (r: RejectedStockLine) => {
      rejectedCount++;
      if (rejected.length < MAX_LISTED_REJECTIONS) rejected.push(r);
    };
    for await (const item of input.lines) {
      received++;
      if (!item.ok) {
        reject(item.rejected);
        continue;
      }
      chunk.push(item.value);
      if (chunk.length >= STAGE_CHUNK) {
        await this.stock.stageUploadLines(manager, chunk);
        chunk = [];
      }
    }
    await this.stock.stageUploadLines(manager, chunk);
    const conflicts = await this.stock.dropPznConflicts(manager, input.pharmacyUid);
    for (const line of conflicts)
      reject({ line, reason: 'pzn_conflict', message: StockLineRejectionCodes.pzn_conflict });
    rejected.sort((a, b) => a.line - b.line);
    const changes = await this.stock.applyUpload(manager, input.pharmacyUid, at);
    await enqueueLevelChanges(manager, input.pharmacyUid, changes, 'pms', at);
    // New articles may be what a SKU listed before them (the sync at start) was waiting for: map those now,
    // by the sync's rules, so an order arriving right after the first upload reserves and its stock is
    // pushed, instead of waiting for the next scheduled sync.
    // (Also when no article is new: a PZN recorded for the first time can make a SKU mappable.)
    const mapped =
      accepted(received, rejectedCount) > 0 && (await this.skus.hasUnmappedSkus(manager, input.pharmacyUid))
        ? await this.skus.mapUnmappedSkus(manager, input.pharmacyUid)
        : [];
    const externalIdsQueued = await this.skus.requestExternalIds(
      manager,
      input.pharmacyUid,
      mapped.filter((m) => m.byPzn),
    );
    const pushArticles = new Set(changes.filter((c) => c.pharmacySkuUid !== null).map((c) => c.articleId));
    for (const m of mapped) pushArticles.add(m.articleId);
    const pushesQueued = await this.skus.requestPushes(manager, input.pharmacyUid, [...pushArticles]);
    return {
      received,
      accepted: received - rejectedCount,
      changed: changes.length,
      rejectedCount,
      rejected,
      pushesQueued,
      skusMapped: mapped.length,
      externalIdsQueued,
    };
  }

  /** One article's level; a bad value is refused with the line's reason. */
  async setOne(manager: EntityManager, input: SetStockLevelInput): Promise<StockUploadResult> {
    const items = [
      ...parseStockJson({
        lines: [{ article_id: input.articleId, on_hand: input.onHand, pzn: input.pzn ?? null }],
      }),
    ];
    const first = items[0];
    if (first && !first.ok) throw new StockError('stock_level_invalid', first.rejected.reason);
    const result = await this.setMany(manager, { pharmacyUid: input.pharmacyUid, lines: items });
    const conflict = result.rejected[0];
    if (conflict) throw new StockError('stock_level_invalid', conflict.reason);
    return result;
  }

  /** Levels by article id, in id order, a page at a time (`after` = the last id of the previous page). */
  readLevels(manager: EntityManager, input: ReadStockLevelsInput): Promise<ArticleLevel[]> {
    return this.stock.readLevels(manager, input.pharmacyUid, {
      articleIds: input.articleIds,
      after: input.after,
      limit: Math.min(Math.max(input.limit ?? 500, 1), 5_000),
    });
  }
}
