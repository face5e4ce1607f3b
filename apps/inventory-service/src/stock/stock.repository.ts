import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { updateReturning } from '../database/update-returning.js';
import { type StockLevelLine } from './stock-ingest.js';

/** Every way our counts move. No `correction`: repairs correct RxScale's value, not ours (stock_disagreement). */
export type LedgerCause = 'pms-level' | 'reservation' | 'release' | 'deduction';

/** One article's level after a change, with what it was before (null before: the article is new). */
export interface ArticleChange {
  articleId: string;
  pzn: string | null;
  onHand: number;
  reserved: number;
  onHandBefore: number | null;
  reservedBefore: number | null;
  /** RxScale's identity of the article, when mapped. */
  pharmacySkuUid: string | null;
  externalId: string | null;
}

export interface ArticleLevel {
  articleId: string;
  pzn: string | null;
  onHand: number;
  reserved: number;
  available: number;
  pharmacySkuUid: string | null;
  updatedAt: Date;
}

interface ChangeRow {
  article_id: string;
  pzn: string | null;
  on_hand: number;
  reserved: number;
  on_hand_before: number | null;
  reserved_before: number | null;
  pharmacy_sku_uid: string | null;
  external_id: string | null;
}

function toChange(r: ChangeRow): ArticleChange {
  return {
    articleId: r.article_id,
    pzn: r.pzn,
    onHand: r.on_hand,
    reserved: r.reserved,
    onHandBefore: r.on_hand_before,
    reservedBefore: r.reserved_before,
    pharmacySkuUid: r.pharmacy_sku_uid,
    externalId: r.external_id,
  };
}

/** The PMS's articles and their stock, an upload's staging table, and the stock ledger. */
@Injectable()
export class StockRepository {
  /** A staging table for one upload, private to the transaction and dropped at its end. */
  async openUpload(manager: EntityManager): Promise<void> {
    await manager.query(
      `CREATE TEMP TABLE IF NOT EXISTS stock_upload (line integer NOT NULL, article_id text NOT NULL, pzn text, on_hand integer NOT NULL)
       ON COMMIT DROP`,
    );
    await manager.query('TRUNCATE stock_upload');
  }

  /** One round trip per chunk: the lines travel as four arrays. */
  async stageUploadLines(manager: EntityManager, lines: readonly StockLevelLine[]): Promise<void> {
    if (lines.length === 0) return;
    await manager.query(
      `INSERT INTO stock_upload (line, article_id, pzn, on_hand)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[])`,
      [
        lines.map((l) => l.line),
        lines.map((l) => l.articleId),
        lines.map((l) => l.pzn),
        lines.map((l) => l.onHand),
      ],
    );
  }

  /** Removes staged lines whose PZN contradicts the article's known PZN, returning their line numbers. */
  async dropPznConflicts(manager: EntityManager, pharmacyUid: string): Promise<number[]> {
    const rows = await updateReturning<{ line: number }>(
      manager,
      `DELETE FROM stock_upload u USING article a
       WHERE a.pharmacy_uid = $1 AND a.article_id = u.article_id AND u.pzn IS NOT NULL AND a.pzn IS NOT NULL AND a.pzn <> u.pzn
       RETURNING u.line`,
      [pharmacyUid],
    );
    return rows.map((r) => r.line).sort((a, b) => a - b);
  }

  /**
   * Applies the staged levels (the last line of an article wins) in two statements: lock the existing
   * articles in key order (the order reservations lock them in, so the two never deadlock), then upsert
   * and write the ledger for what changed, returning the changes.
   */
  async applyUpload(manager: EntityManager, pharmacyUid: string, at: Date): Promise<ArticleChange[]> {
    await manager.query(
      `SELECT count(*) FROM (
         SELECT 1 FROM article a WHERE a.pharmacy_uid = $1 AND a.article_id IN (SELECT article_id FROM stock_upload)
         ORDER BY a.article_id FOR UPDATE
       ) locked`,
      [pharmacyUid],
    );
    const rows = await manager.query<ChangeRow[]>(
      `WITH incoming AS (
         SELECT DISTINCT ON (article_id) article_id, pzn, on_hand FROM stock_upload ORDER BY article_id, line DESC
       ), before AS (
         SELECT a.article_id, a.on_hand, a.reserved, a.pzn FROM article a
         WHERE a.pharmacy_uid = $1 AND a.article_id IN (SELECT article_id FROM incoming)
       ), changed AS (
         INSERT INTO article AS a (pharmacy_uid, article_id, pzn, on_hand, reserved, pms_reported_at, updated_at)
         SELECT $1, i.article_id, i.pzn, i.on_hand, 0, $2, $2 FROM incoming i
         LEFT JOIN before b USING (article_id)
         WHERE b.article_id IS NULL OR b.on_hand <> i.on_hand OR (b.pzn IS NULL AND i.pzn IS NOT NULL)
         ON CONFLICT (pharmacy_uid, article_id) DO UPDATE
           SET on_hand = EXCLUDED.on_hand, pzn = COALESCE(a.pzn, EXCLUDED.pzn), pms_reported_at = EXCLUDED.pms_reported_at,
               updated_at = EXCLUDED.updated_at
         RETURNING a.article_id, a.pzn, a.on_hand, a.reserved
       ), reported AS (
         UPDATE article a SET pms_reported_at = $2
         FROM incoming i JOIN before b USING (article_id)
         WHERE a.pharmacy_uid = $1 AND a.article_id = i.article_id AND b.on_hand = i.on_hand
           AND NOT (b.pzn IS NULL AND i.pzn IS NOT NULL)
       ), ledger AS (
         INSERT INTO stock_ledger (pharmacy_uid, article_id, cause, on_hand_delta, reserved_delta, on_hand_after,
                                   reserved_after, reference, recorded_at)
         SELECT $1, c.article_id, 'pms-level', c.on_hand - COALESCE(b.on_hand, 0), 0, c.on_hand, c.reserved, NULL, $2
         FROM changed c LEFT JOIN before b USING (article_id)
         WHERE b.article_id IS NULL OR b.on_hand <> c.on_hand
       )
       SELECT c.article_id, c.pzn, c.on_hand, c.reserved, b.on_hand AS on_hand_before, b.reserved AS reserved_before,
              s.pharmacy_sku_uid, s.external_id
       FROM changed c
       LEFT JOIN before b USING (article_id)
       LEFT JOIN pharmacy_sku s ON s.pharmacy_uid = $1 AND s.article_id = c.article_id AND s.deleted_at IS NULL
       WHERE b.article_id IS NULL OR b.on_hand <> c.on_hand
       ORDER BY c.article_id`,
      [pharmacyUid, at],
    );
    return rows.map(toChange);
  }

  /**
   * Locks the articles of a set of ids in key order and returns them. Missing ids are left out.
   */
  async lockArticles(
    manager: EntityManager,
    pharmacyUid: string,
    articleIds: readonly string[],
  ): Promise<Map<string, { onHand: number; reserved: number }>> {
    const rows = await manager.query<{ article_id: string; on_hand: number; reserved: number }[]>(
      `SELECT article_id, on_hand, reserved FROM article
       WHERE pharmacy_uid = $1 AND article_id = ANY($2::text[]) ORDER BY article_id FOR UPDATE`,
      [pharmacyUid, [...new Set(articleIds)]],
    );
    return new Map(rows.map((r) => [r.article_id, { onHand: r.on_hand, reserved: r.reserved }]));
  }

  /**
   * Moves reserved and on-hand counts of locked articles by the given amounts per line (lines of one
   * article are summed), writing one ledger row per article. On hand never drops below zero.
   */
  async moveStock(
    manager: EntityManager,
    pharmacyUid: string,
    moves: readonly { articleId: string; onHandDelta: number; reservedDelta: number }[],
    cause: LedgerCause,
    reference: string,
    at: Date,
  ): Promise<ArticleChange[]> {
    if (moves.length === 0) return [];
    const rows = await manager.query<ChangeRow[]>(
      `WITH delta AS (
         SELECT article_id, sum(on_hand_delta)::int AS on_hand_delta, sum(reserved_delta)::int AS reserved_delta
         FROM unnest($2::text[], $3::int[], $4::int[]) AS m(article_id, on_hand_delta, reserved_delta)
         GROUP BY article_id
       ), before AS (
         SELECT a.article_id, a.on_hand, a.reserved FROM article a JOIN delta d USING (article_id) WHERE a.pharmacy_uid = $1
       ), changed AS (
         UPDATE article a
         SET on_hand = GREATEST(a.on_hand + d.on_hand_delta, 0), reserved = a.reserved + d.reserved_delta, updated_at = $6
         FROM delta d WHERE a.pharmacy_uid = $1 AND a.article_id = d.article_id
         RETURNING a.article_id, a.pzn, a.on_hand, a.reserved
       ), ledger AS (
         INSERT INTO stock_ledger (pharmacy_uid, article_id, cause, on_hand_delta, reserved_delta, on_hand_after,
                                   reserved_after, reference, recorded_at)
         SELECT $1, c.article_id, $5, c.on_hand - b.on_hand, c.reserved - b.reserved, c.on_hand, c.reserved, $7, $6
         FROM changed c JOIN before b USING (article_id)
       )
       SELECT c.article_id, c.pzn, c.on_hand, c.reserved, b.on_hand AS on_hand_before, b.reserved AS reserved_before,
              s.pharmacy_sku_uid, s.external_id
       FROM changed c
       JOIN before b USING (article_id)
       LEFT JOIN pharmacy_sku s ON s.pharmacy_uid = $1 AND s.article_id = c.article_id AND s.deleted_at IS NULL
       ORDER BY c.article_id`,
      [
        pharmacyUid,
        moves.map((m) => m.articleId),
        moves.map((m) => m.onHandDelta),
        moves.map((m) => m.reservedDelta),
        cause,
        at,
        reference,
      ],
    );
    return rows.map(toChange);
  }

  async readLevels(
    manager: EntityManager,
    pharmacyUid: string,
    query: { articleIds?: readonly string[]; limit: number; after?: string },
  ): Promise<ArticleLevel[]> {
    const rows = await manager.query<
      {
        article_id: string;
        pzn: string | null;
        on_hand: number;
        reserved: number;
        pharmacy_sku_uid: string | null;
        updated_at: Date;
      }[]
    >(
      `SELECT a.article_id, a.pzn, a.on_hand, a.reserved, s.pharmacy_sku_uid, a.updated_at
       FROM article a
       LEFT JOIN pharmacy_sku s ON s.pharmacy_uid = a.pharmacy_uid AND s.article_id = a.article_id AND s.deleted_at IS NULL
       WHERE a.pharmacy_uid = $1 AND ($2::text[] IS NULL OR a.article_id = ANY($2::text[]))
         AND ($3::text IS NULL OR a.article_id > $3)
       ORDER BY a.article_id LIMIT $4`,
      [pharmacyUid, query.articleIds ?? null, query.after ?? null, query.limit],
    );
    return rows.map((r) => ({
      articleId: r.article_id,
      pzn: r.pzn,
      onHand: r.on_hand,
      reserved: r.reserved,
      available: Math.max(0, r.on_hand - r.reserved),
      pharmacySkuUid: r.pharmacy_sku_uid,
      updatedAt: r.updated_at,
    }));
  }

  /**
   * Resolves order lines to articles: by the pharmacy SKU's mapping, else by the article id RxScale
   * carries as external_id, else by a PZN only one article has. Unresolved lines get null.
   */
  async resolveArticles(
    manager: EntityManager,
    pharmacyUid: string,
    lines: readonly { pharmacySkuUid: string | null; externalId: string | null; pzn: string | null }[],
  ): Promise<(string | null)[]> {
    const rows = await manager.query<{ idx: number; article_id: string | null }[]>(
      `SELECT l.idx, COALESCE(s.article_id, ext.article_id, pz.article_id) AS article_id
       FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS l(psku, ext_id, pzn, idx)
       LEFT JOIN pharmacy_sku s ON s.pharmacy_sku_uid = l.psku AND s.pharmacy_uid = $1 AND s.deleted_at IS NULL
       LEFT JOIN article ext ON ext.pharmacy_uid = $1 AND ext.article_id = l.ext_id
       LEFT JOIN LATERAL (
         SELECT min(a.article_id) AS article_id FROM article a WHERE a.pharmacy_uid = $1 AND a.pzn = l.pzn HAVING count(*) = 1
       ) pz ON true
       ORDER BY l.idx`,
      [
        pharmacyUid,
        lines.map((l) => l.pharmacySkuUid),
        lines.map((l) => l.externalId),
        lines.map((l) => l.pzn),
      ],
    );
    return rows.map((r) => r.article_id);
  }

  async ledger(
    manager: EntityManager,
    pharmacyUid: string,
    articleId: string,
  ): Promise<
    {
      cause: LedgerCause;
      onHandDelta: number;
      reservedDelta: number;
      onHandAfter: number;
      reservedAfter: number;
      reference: string | null;
    }[]
  > {
    const rows = await manager.query<
      {
        cause: LedgerCause;
        on_hand_delta: number;
        reserved_delta: number;
        on_hand_after: number;
        reserved_after: number;
        reference: string | null;
      }[]
    >(
      `SELECT cause, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reference
       FROM stock_ledger WHERE pharmacy_uid = $1 AND article_id = $2 ORDER BY id`,
      [pharmacyUid, articleId],
    );
    return rows.map((r) => ({
      cause: r.cause,
      onHandDelta: r.on_hand_delta,
      reservedDelta: r.reserved_delta,
      onHandAfter: r.on_hand_after,
      reservedAfter: r.reserved_after,
      reference: r.reference,
    }));
  }
}
