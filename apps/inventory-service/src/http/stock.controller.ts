import { Body, Controller, Get, HttpCode, Inject, Post, Put } from '@nestjs/common';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import { RequireScope, ZodBody, ZodParam, ZodQuery, ZodResponse } from '@rxbridge/service-kit';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { INVENTORY_SETTINGS, type InventorySettings } from '../inventory.tokens.js';
import { InventoryMetrics } from '../metrics/inventory-metrics.js';
import { PharmacySkuRepository } from '../skus/pharmacy-sku.repository.js';
import { parseStockCsv, parseStockJson } from '../stock/stock-ingest.js';
import { StockLevelService, type StockUploadResult } from '../stock/stock-level.service.js';
import { StockError } from '../stock/stock.errors.js';
import { type ArticleLevel } from '../stock/stock.repository.js';
import { CsvUploadBody } from './csv-upload-body.js';
import {
  ArticleIdParam,
  PageQuery,
  PharmacyUidParam,
  SetStockLevelBody,
  StockLevel,
  StockLevelPage,
  StockUploadJson,
  StockUploadReport,
  UnmappedSkus,
} from './stock.schemas.js';

function level(a: ArticleLevel): z.infer<typeof StockLevel> {
  return {
    article_id: a.articleId,
    pzn: a.pzn,
    on_hand: a.onHand,
    reserved: a.reserved,
    available: a.available,
    pharmacy_sku_uid: a.pharmacySkuUid,
    updated_at: a.updatedAt.toISOString(),
  };
}

function report(r: StockUploadResult): z.infer<typeof StockUploadReport> {
  return {
    received: r.received,
    accepted: r.accepted,
    changed: r.changed,
    rejected_count: r.rejectedCount,
    rejected: r.rejected.map((x) => ({ line: x.line, code: x.reason, message: x.message })),
    pushes_queued: r.pushesQueued,
    skus_mapped: r.skusMapped,
  };
}

/** The PMS's stock levels (stock:write in, stock:read out); every write is one transaction. */
@Controller()
export class StockController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stock: StockLevelService,
    private readonly skus: PharmacySkuRepository,
    private readonly metrics: InventoryMetrics,
    @Inject(INVENTORY_SETTINGS) private readonly settings: InventorySettings,
  ) {}

  @Put('pharmacies/:pharmacy_uid/stock/:article_id')
  @RequireScope('stock:write')
  @ZodResponse(200, StockLevel, "The article's level as stored")
  async setOne(
    @ZodParam('pharmacy_uid', PharmacyUidParam) pharmacyUid: string,
    @ZodParam('article_id', ArticleIdParam) articleId: string,
    @ZodBody(SetStockLevelBody) body: z.infer<typeof SetStockLevelBody>,
  ) {
    await this.dataSource.transaction((manager) =>
      this.stock.setOne(manager, { pharmacyUid, articleId, onHand: body.on_hand, pzn: body.pzn ?? null }),
    );
    this.metrics.uploadLines.inc({ result: 'accepted' });
    return level(await this.readOne(pharmacyUid, articleId));
  }

  /**
   * Thousands of levels at once: JSON `{lines: [...]}` or `text/csv` (`article_id,on_hand[,pzn]`, streamed).
   * Good lines are applied, bad ones reported by line; a malformed or oversized upload applies nothing.
   */
  @Post('pharmacies/:pharmacy_uid/stock')
  @HttpCode(200)
  @RequireScope('stock:write')
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({
    required: true,
    schema: {
      ...(z.toJSONSchema(StockUploadJson, { target: 'openapi-3.0' }) as Record<string, unknown>),
      description:
        'JSON {lines:[...]}, or text/csv with the header article_id,on_hand[,pzn] (any order); CSV is streamed',
    },
  })
  @ZodResponse(200, StockUploadReport, 'Good lines applied; bad ones listed by line number')
  async upload(@ZodParam('pharmacy_uid', PharmacyUidParam) pharmacyUid: string, @Body() body: unknown) {
    const limits = this.settings.upload;
    const lines =
      body instanceof CsvUploadBody
        ? parseStockCsv(body.stream, limits)
        : parseStockJson(body, { maxLines: limits.maxLines });
    try {
      const result = await this.dataSource.transaction((manager) =>
        this.stock.setMany(manager, { pharmacyUid, lines }),
      );
      this.metrics.uploadLines.inc({ result: 'accepted' }, result.accepted);
      this.metrics.uploadLines.inc({ result: 'rejected' }, result.rejectedCount);
      return report(result);
    } finally {
      // a refused CSV leaves the rest of the body unread: drop it instead of reading megabytes for nothing
      if (body instanceof CsvUploadBody && !body.stream.readableEnded) body.stream.resume();
    }
  }

  @Get('pharmacies/:pharmacy_uid/stock')
  @RequireScope('stock:read')
  @ZodResponse(200, StockLevelPage, 'Levels by article id, a page at a time')
  async list(
    @ZodParam('pharmacy_uid', PharmacyUidParam) pharmacyUid: string,
    @ZodQuery(PageQuery) query: z.infer<typeof PageQuery>,
  ) {
    const rows = await this.stock.readLevels(this.dataSource.manager, {
      pharmacyUid,
      limit: query.limit,
      ...(query.cursor ? { after: query.cursor } : {}),
    });
    return {
      items: rows.map(level),
      next_cursor: rows.length === query.limit ? rows[rows.length - 1]!.articleId : null,
    };
  }

  @Get('pharmacies/:pharmacy_uid/stock/:article_id')
  @RequireScope('stock:read')
  @ZodResponse(200, StockLevel, "One article's level")
  async one(
    @ZodParam('pharmacy_uid', PharmacyUidParam) pharmacyUid: string,
    @ZodParam('article_id', ArticleIdParam) articleId: string,
  ) {
    return level(await this.readOne(pharmacyUid, articleId));
  }

  @Get('pharmacies/:pharmacy_uid/skus/unmapped')
  @RequireScope('stock:read')
  @ZodResponse(200, UnmappedSkus, 'RxScale SKUs no article maps to, and PMS articles no SKU maps to')
  async unmapped(
    @ZodParam('pharmacy_uid', PharmacyUidParam) pharmacyUid: string,
    @ZodQuery(PageQuery) query: z.infer<typeof PageQuery>,
  ) {
    const manager = this.dataSource.manager;
    const rows = await manager.query<
      { pharmacy_sku_uid: string; sku_uid: string; pzn: string | null; external_id: string | null }[]
    >(
      `SELECT pharmacy_sku_uid, sku_uid, pzn, external_id FROM pharmacy_sku
       WHERE pharmacy_uid = $1 AND deleted_at IS NULL AND article_id IS NULL AND ($2::text IS NULL OR pharmacy_sku_uid > $2)
       ORDER BY pharmacy_sku_uid LIMIT $3`,
      [pharmacyUid, query.cursor ?? null, query.limit],
    );
    const articles = await this.skus.unmappedArticles(manager, pharmacyUid);
    return {
      items: rows,
      next_cursor: rows.length === query.limit ? rows[rows.length - 1]!.pharmacy_sku_uid : null,
      unmapped_article_count: articles.length,
      unmapped_articles: articles.slice(0, 1000),
    };
  }

  private async readOne(pharmacyUid: string, articleId: string): Promise<ArticleLevel> {
    const [row] = await this.stock.readLevels(this.dataSource.manager, {
      pharmacyUid,
      articleIds: [articleId],
      limit: 1,
    });
    if (!row) throw new StockError('article_not_found');
    return row;
  }
}
