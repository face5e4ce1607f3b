import { z } from 'zod';

export const PharmacyUidParam = z.string().regex(/^[^\s/?#]{1,200}$/);
export const ArticleIdParam = z.string().min(1).max(200);

export const SetStockLevelBody = z.strictObject({
  on_hand: z.number().int().min(0).max(100_000_000),
  pzn: z
    .string()
    .regex(/^\d{1,20}$/)
    .nullable()
    .optional(),
});

export const StockLevel = z.object({
  article_id: z.string(),
  pzn: z.string().nullable(),
  on_hand: z.number().int(),
  reserved: z.number().int(),
  /** on_hand - reserved, never below 0: what RxScale is told. */
  available: z.number().int(),
  pharmacy_sku_uid: z.string().nullable(),
  updated_at: z.string(),
});

export const StockLevelPage = z.object({ items: z.array(StockLevel), next_cursor: z.string().nullable() });

export const PageQuery = z.object({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});

/** The JSON form of a bulk upload, as documented (lines are checked one by one, not by this schema). */
export const StockUploadJson = z.object({
  lines: z.array(
    z.object({
      article_id: z.string(),
      on_hand: z.number().int(),
      pzn: z.string().nullable().optional(),
    }),
  ),
});

export const StockUploadReport = z.object({
  received: z.number().int(),
  accepted: z.number().int(),
  changed: z.number().int(),
  rejected_count: z.number().int(),
  /** The first 1,000 bad lines: CSV physical line (header = 1) or the JSON line's 1-based position. */
  rejected: z.array(z.object({ line: z.number().int(), code: z.string(), message: z.string() })),
  pushes_queued: z.number().int(),
  skus_mapped: z.number().int(),
});

export const UnmappedSkus = z.object({
  items: z.array(
    z.object({
      pharmacy_sku_uid: z.string(),
      sku_uid: z.string(),
      pzn: z.string().nullable(),
      external_id: z.string().nullable(),
    }),
  ),
  next_cursor: z.string().nullable(),
  /** PMS articles no RxScale SKU is mapped to (the other side), counted; the first 1,000 listed. */
  unmapped_article_count: z.number().int(),
  unmapped_articles: z.array(z.string()),
});

export const StockPushBody = z.strictObject({
  skus: z.array(z.string().min(1).max(200)).max(10_000).optional(),
});

export const JobRunAnswer = z.object({
  job: z.string(),
  started_at: z.string(),
  duration_ms: z.number(),
  ok: z.boolean(),
  summary: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
});

export const StockPushAnswer = z.object({ skus: z.number().int(), pushes_queued: z.number().int() });
