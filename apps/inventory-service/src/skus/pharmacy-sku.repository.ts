// One file on purpose: every SQL statement on the pharmacy_sku table (push state, listing, mapping, external
// ids) is here, so a change to a column or a lock order is made and reviewed in one place.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { type PharmacySku } from '@rxbridge/rxscale-client';
import { type EntityManager } from 'typeorm';
import { updateReturning } from '../database/update-returning.js';
import { InventoryCommandKinds, InventoryCommandPriorities } from '../rxscale/inventory-commands.js';

/** What a stock push needs to know about one pharmacy SKU. */
export interface PushState {
  pharmacySkuUid: string;
  pharmacyUid: string;
  /** on_hand - reserved of the mapped article, floored at 0; null while unmapped or without a PMS level. */
  desired: number | null;
  rxscaleStock: number | null;
  deleted: boolean;
}

export interface PharmacySkuRow {
  pharmacySkuUid: string;
  pharmacyUid: string;
  skuUid: string;
  pzn: string | null;
  externalId: string | null;
  articleId: string | null;
  rxscaleStock: number | null;
  pushedStock: number | null;
  deleted: boolean;
}

export interface MappingChange {
  pharmacySkuUid: string;
  articleId: string;
  byPzn: boolean;
}

const PUSH_STATE_SQL = `
  SELECT s.pharmacy_sku_uid, s.pharmacy_uid, s.rxscale_stock, s.deleted_at IS NOT NULL AS deleted,
         CASE WHEN a.article_id IS NULL THEN NULL ELSE GREATEST(a.on_hand - a.reserved, 0) END AS desired
  FROM pharmacy_sku s
  LEFT JOIN article a ON a.pharmacy_uid = s.pharmacy_uid AND a.article_id = s.article_id`;

interface PushStateRow {
  pharmacy_sku_uid: string;
  pharmacy_uid: string;
  rxscale_stock: number | null;
  deleted: boolean;
  desired: number | null;
}

function toPushState(r: PushStateRow): PushState {
  return {
    pharmacySkuUid: r.pharmacy_sku_uid,
    pharmacyUid: r.pharmacy_uid,
    desired: r.desired,
    rxscaleStock: r.rxscale_stock,
    deleted: r.deleted,
  };
}

/**
 * How long a stock push waits before the relay may run it: `delayMs` after the last coalesced update
 * (INVENTORY_PUSH_COALESCE_MS), at most `maxDelayMs` after it was queued (INVENTORY_PUSH_MAX_DELAY_MS).
 * Updates arriving meanwhile coalesce into it, so a burst of levels for one SKU ends in one push.
 * Both 0 when not provided (phase 1's behaviour: due at once).
 */
export const STOCK_PUSH_TIMING = Symbol('inventory.stock-push-timing');
export interface StockPushTiming {
  delayMs: number;
  maxDelayMs: number;
}

/** The pharmacy SKUs RxScale knows, their mapping to PMS articles, and the stock pushes for them. */
@Injectable()
export class PharmacySkuRepository {
  constructor(
    @Optional()
    @Inject(STOCK_PUSH_TIMING)
    private readonly push: StockPushTiming = { delayMs: 0, maxDelayMs: 0 },
  ) {}

  /**
   * Queues a stock push for every live, mapped SKU of these articles, coalesced per SKU: a still pending
   * `sku.stock` command that no relay has claimed (the relay holds its row lock while calling RxScale,
   * so SKIP LOCKED leaves exactly the claimed ones out) gets the newest value instead of a second row.
   * Locking it here also keeps a relay from claiming it before this transaction commits, so the value it
   * re-reads is never older than ours. Nothing is queued where RxScale already has the value and no
   * push is under way (a claimed push may be sending an older value, so then one more is queued).
   * Returns the number of commands inserted.
   */
  async requestPushes(
    manager: EntityManager,
    pharmacyUid: string,
    articleIds: readonly string[],
  ): Promise<number> {
    if (articleIds.length === 0) return 0;
    const kind = InventoryCommandKinds.skuStock;
    // Four set-based statements with plain index lookups: one statement with CTE anti-joins let the
    // planner loop over thousands of pending rows per target.
    const targets = await manager.query<
      { pharmacy_sku_uid: string; pharmacy_uid: string; rxscale_stock: number | null; desired: number }[]
    >(
      `SELECT s.pharmacy_sku_uid, s.pharmacy_uid, s.rxscale_stock, GREATEST(a.on_hand - a.reserved, 0) AS desired
       FROM pharmacy_sku s
       JOIN article a ON a.pharmacy_uid = s.pharmacy_uid AND a.article_id = s.article_id
       WHERE s.pharmacy_uid = $1 AND s.article_id = ANY($2::text[]) AND s.deleted_at IS NULL`,
      [pharmacyUid, articleIds],
    );
    if (targets.length === 0) return 0;
    const uids = targets.map((t) => t.pharmacy_sku_uid);
    const open = await manager.query<{ id: string; target_uid: string }[]>(
      `SELECT id, target_uid FROM rxscale_command
       WHERE status = 'pending' AND kind = $1 AND target_uid = ANY($2::text[])
       FOR UPDATE SKIP LOCKED`,
      [kind, uids],
    );
    const claimed = await manager.query<{ target_uid: string }[]>(
      `SELECT DISTINCT target_uid FROM rxscale_command
       WHERE status = 'pending' AND kind = $1 AND target_uid = ANY($2::text[]) AND NOT (id = ANY($3::bigint[]))`,
      [kind, uids, open.map((o) => o.id)],
    );
    const desired = new Map(targets.map((t) => [t.pharmacy_sku_uid, t.desired]));
    if (open.length > 0) {
      await manager.query(
        // A trailing window: each coalesced update moves the push's due time to a window from now, never
        // earlier than it was and never later than the cap after the row was queued (so a SKU updated
        // without pause is still pushed). A retry's backoff (attempts > 0) is left alone.
        `UPDATE rxscale_command c SET payload = jsonb_build_object('pharmacySkuUid', u.uid, 'stock', u.stock),
           next_attempt_at = CASE WHEN c.attempts = 0 THEN GREATEST(c.next_attempt_at, LEAST(
             c.created_at + $5 * interval '1 millisecond', clock_timestamp() + $4 * interval '1 millisecond'))
             ELSE c.next_attempt_at END
         FROM unnest($1::bigint[], $2::text[], $3::int[]) AS u(id, uid, stock) WHERE c.id = u.id`,
        [
          open.map((o) => o.id),
          open.map((o) => o.target_uid),
          open.map((o) => desired.get(o.target_uid) ?? 0),
          this.push.delayMs,
          this.push.maxDelayMs,
        ],
      );
    }
    const coalesced = new Set(open.map((o) => o.target_uid));
    const inFlight = new Set(claimed.map((c) => c.target_uid));
    const inserts = targets
      .filter(
        (t) =>
          !coalesced.has(t.pharmacy_sku_uid) &&
          (t.desired !== t.rxscale_stock || inFlight.has(t.pharmacy_sku_uid)),
      )
      .sort((a, b) => a.pharmacy_sku_uid.localeCompare(b.pharmacy_sku_uid));
    if (inserts.length === 0) return 0;
    await manager.query(
      `INSERT INTO rxscale_command (kind, target_uid, payload, priority, pharmacy_uid, next_attempt_at)
       SELECT $1, u.uid, jsonb_build_object('pharmacySkuUid', u.uid, 'stock', u.stock), $2, $3,
              clock_timestamp() + $6 * interval '1 millisecond'
       FROM unnest($4::text[], $5::int[]) AS u(uid, stock)`,
      [
        kind,
        InventoryCommandPriorities[kind],
        pharmacyUid,
        inserts.map((t) => t.pharmacy_sku_uid),
        inserts.map((t) => t.desired),
        this.push.delayMs,
      ],
    );
    return inserts.length;
  }

  /** The newest value to push and what RxScale has, read when a push runs. */
  async readPushState(manager: EntityManager, pharmacySkuUid: string): Promise<PushState | undefined> {
    const rows = await manager.query<PushStateRow[]>(`${PUSH_STATE_SQL} WHERE s.pharmacy_sku_uid = $1`, [
      pharmacySkuUid,
    ]);
    return rows[0] ? toPushState(rows[0]) : undefined;
  }

  /** Same, locking the SKU row: for deciding on a value RxScale reported. */
  async lockPushState(manager: EntityManager, pharmacySkuUid: string): Promise<PushState | undefined> {
    const rows = await manager.query<PushStateRow[]>(
      `${PUSH_STATE_SQL} WHERE s.pharmacy_sku_uid = $1 FOR UPDATE OF s`,
      [pharmacySkuUid],
    );
    return rows[0] ? toPushState(rows[0]) : undefined;
  }

  /** RxScale acknowledged this absolute level. */
  async recordPushed(manager: EntityManager, pharmacySkuUid: string, stock: number, at: Date): Promise<void> {
    await manager.query(
      `UPDATE pharmacy_sku SET rxscale_stock = $2, rxscale_stock_at = $3, pushed_stock = $2, pushed_at = $3
       WHERE pharmacy_sku_uid = $1`,
      [pharmacySkuUid, stock, at],
    );
  }

  /** RxScale reported this level (webhook or listing). */
  async recordReported(
    manager: EntityManager,
    pharmacySkuUid: string,
    stock: number,
    at: Date,
  ): Promise<void> {
    await manager.query(
      'UPDATE pharmacy_sku SET rxscale_stock = $2, rxscale_stock_at = $3 WHERE pharmacy_sku_uid = $1',
      [pharmacySkuUid, stock, at],
    );
  }

  /**
   * RxScale lowers a SKU's stock by the ordered amount itself on complete_order (API.md §9, the sandbox
   * does the same, never below 0): our record of its value follows, so the next push restores ours.
   */
  async recordRxscaleDeduction(
    manager: EntityManager,
    pharmacyUid: string,
    deductions: readonly { articleId: string; quantity: number }[],
    at: Date,
  ): Promise<void> {
    if (deductions.length === 0) return;
    await manager.query(
      `UPDATE pharmacy_sku s SET rxscale_stock = GREATEST(s.rxscale_stock - d.quantity, 0), rxscale_stock_at = $4
       FROM (SELECT article_id, sum(quantity)::int AS quantity FROM unnest($2::text[], $3::int[]) AS u(article_id, quantity)
             GROUP BY article_id) d
       WHERE s.pharmacy_uid = $1 AND s.article_id = d.article_id AND s.rxscale_stock IS NOT NULL`,
      [pharmacyUid, deductions.map((d) => d.articleId), deductions.map((d) => d.quantity), at],
    );
  }

  async recordExternalId(manager: EntityManager, pharmacySkuUid: string, externalId: string): Promise<void> {
    await manager.query('UPDATE pharmacy_sku SET external_id = $2 WHERE pharmacy_sku_uid = $1', [
      pharmacySkuUid,
      externalId,
    ]);
  }

  async recordDisagreement(
    manager: EntityManager,
    input: {
      pharmacyUid: string;
      pharmacySkuUid: string;
      reported: number;
      expected: number | null;
      repairedTo: number | null;
      at: Date;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO stock_disagreement (pharmacy_uid, pharmacy_sku_uid, reported_stock, expected_stock, repaired_to, detected_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [input.pharmacyUid, input.pharmacySkuUid, input.reported, input.expected, input.repairedTo, input.at],
    );
  }

  /**
   * Stores a pharmacy's SKU list as RxScale returned it: new ones inserted, known ones refreshed
   * (including the stock RxScale has), SKUs missing from the list marked deleted.
   */
  async storeListing(
    manager: EntityManager,
    pharmacyUid: string,
    skus: readonly PharmacySku[],
    at: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO pharmacy_sku AS s (pharmacy_sku_uid, pharmacy_uid, sku_uid, pzn, external_id, rxscale_stock,
                                      rxscale_stock_at, synced_at, deleted_at)
       SELECT u.uid, $1, u.sku_uid, NULLIF(u.pzn, ''), NULLIF(u.external_id, ''), u.stock, $7, $7,
              CASE WHEN u.deleted THEN $7::timestamptz END
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $8::boolean[])
         AS u(uid, sku_uid, pzn, external_id, stock, deleted)
       ON CONFLICT (pharmacy_sku_uid) DO UPDATE SET
         sku_uid = EXCLUDED.sku_uid, pzn = EXCLUDED.pzn, external_id = EXCLUDED.external_id,
         rxscale_stock = EXCLUDED.rxscale_stock, rxscale_stock_at = EXCLUDED.rxscale_stock_at,
         synced_at = EXCLUDED.synced_at, deleted_at = EXCLUDED.deleted_at`,
      [
        pharmacyUid,
        skus.map((s) => s.uid),
        skus.map((s) => s.sku.uid),
        skus.map((s) => s.sku.pzn ?? null),
        skus.map((s) => s.external_id ?? null),
        skus.map((s) => s.stock),
        at,
        skus.map((s) => s.deleted_at !== null && s.deleted_at !== undefined),
      ],
    );
    await manager.query(
      `UPDATE pharmacy_sku SET deleted_at = $3, article_id = NULL
       WHERE pharmacy_uid = $1 AND deleted_at IS NULL AND NOT (pharmacy_sku_uid = ANY($2::text[]))`,
      [pharmacyUid, skus.map((s) => s.uid), at],
    );
  }

  /**
   * Maps every live SKU of the pharmacy to a PMS article: by external_id when RxScale has one (it is
   * then authoritative), else by PZN when exactly one article carries it. One SKU per article: the one
   * matched by external_id, else the lowest uid, wins. Returns the mappings made.
   */
  async mapToArticles(manager: EntityManager, pharmacyUid: string): Promise<MappingChange[]> {
    await manager.query(
      'UPDATE pharmacy_sku SET article_id = NULL WHERE pharmacy_uid = $1 AND article_id IS NOT NULL',
      [pharmacyUid],
    );
    const rows = await updateReturning<{ pharmacy_sku_uid: string; article_id: string; by_pzn: boolean }>(
      manager,
      `WITH candidate AS (
         SELECT s.pharmacy_sku_uid, COALESCE(ext.article_id, pz.article_id) AS article_id, ext.article_id IS NULL AS by_pzn
         FROM pharmacy_sku s
         LEFT JOIN article ext ON ext.pharmacy_uid = s.pharmacy_uid AND ext.article_id = s.external_id
         LEFT JOIN LATERAL (
           SELECT min(a.article_id) AS article_id FROM article a
           WHERE s.external_id IS NULL AND s.pzn IS NOT NULL AND a.pharmacy_uid = s.pharmacy_uid AND a.pzn = s.pzn
           HAVING count(*) = 1
         ) pz ON true
         WHERE s.pharmacy_uid = $1 AND s.deleted_at IS NULL
       ), ranked AS (
         SELECT c.*, row_number() OVER (PARTITION BY c.article_id ORDER BY c.by_pzn, c.pharmacy_sku_uid) AS rn
         FROM candidate c WHERE c.article_id IS NOT NULL
       )
       UPDATE pharmacy_sku s SET article_id = r.article_id
       FROM ranked r WHERE r.rn = 1 AND s.pharmacy_sku_uid = r.pharmacy_sku_uid
       RETURNING s.pharmacy_sku_uid, s.article_id, r.by_pzn`,
      [pharmacyUid],
    );
    return rows
      .map((r) => ({ pharmacySkuUid: r.pharmacy_sku_uid, articleId: r.article_id, byPzn: r.by_pzn }))
      .sort((a, b) => a.pharmacySkuUid.localeCompare(b.pharmacySkuUid));
  }

  /**
   * Maps the pharmacy's live, unmapped SKUs to articles no live SKU maps yet, by the sync's rules
   * (external_id when RxScale has one, else a PZN exactly one article carries; one SKU per article, the
   * external-id match first, then the lowest uid), leaving every existing mapping as it is. An upload that
   * creates articles calls this, so SKUs the sync at start could not map yet are mapped at once from the
   * rows already stored (the next sync re-derives every mapping by the same rules). Returns the mappings made.
   */
  async mapUnmappedSkus(manager: EntityManager, pharmacyUid: string): Promise<MappingChange[]> {
    const rows = await updateReturning<{ pharmacy_sku_uid: string; article_id: string; by_pzn: boolean }>(
      manager,
      `WITH candidate AS (
         SELECT s.pharmacy_sku_uid, COALESCE(ext.article_id, pz.article_id) AS article_id, ext.article_id IS NULL AS by_pzn
         FROM pharmacy_sku s
         LEFT JOIN article ext ON ext.pharmacy_uid = s.pharmacy_uid AND ext.article_id = s.external_id
         LEFT JOIN LATERAL (
           SELECT min(a.article_id) AS article_id FROM article a
           WHERE s.external_id IS NULL AND s.pzn IS NOT NULL AND a.pharmacy_uid = s.pharmacy_uid AND a.pzn = s.pzn
           HAVING count(*) = 1
         ) pz ON true
         WHERE s.pharmacy_uid = $1 AND s.deleted_at IS NULL AND s.article_id IS NULL
       ), ranked AS (
         SELECT c.*, row_number() OVER (PARTITION BY c.article_id ORDER BY c.by_pzn, c.pharmacy_sku_uid) AS rn
         FROM candidate c
         WHERE c.article_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM pharmacy_sku t WHERE t.pharmacy_uid = $1 AND t.article_id = c.article_id)
       )
       UPDATE pharmacy_sku s SET article_id = r.article_id
       FROM ranked r WHERE r.rn = 1 AND s.pharmacy_sku_uid = r.pharmacy_sku_uid
       RETURNING s.pharmacy_sku_uid, s.article_id, r.by_pzn`,
      [pharmacyUid],
    );
    return rows
      .map((r) => ({ pharmacySkuUid: r.pharmacy_sku_uid, articleId: r.article_id, byPzn: r.by_pzn }))
      .sort((a, b) => a.pharmacySkuUid.localeCompare(b.pharmacySkuUid));
  }

  /** Whether the pharmacy has a live SKU no article is mapped to (cheap: an upload asks before mapping). */
  async hasUnmappedSkus(manager: EntityManager, pharmacyUid: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `SELECT 1 FROM pharmacy_sku WHERE pharmacy_uid = $1 AND deleted_at IS NULL AND article_id IS NULL LIMIT 1`,
      [pharmacyUid],
    );
    return rows.length > 0;
  }

  /** Queues `sku.external-id` for SKUs mapped by PZN, unless one is pending for the SKU already. */
  async requestExternalIds(
    manager: EntityManager,
    pharmacyUid: string,
    mappings: readonly { pharmacySkuUid: string; articleId: string }[],
  ): Promise<number> {
    if (mappings.length === 0) return 0;
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO rxscale_command (kind, target_uid, payload, priority, pharmacy_uid)
       SELECT $4, m.uid, jsonb_build_object('pharmacySkuUid', m.uid, 'externalId', m.article_id), $5, $1
       FROM unnest($2::text[], $3::text[]) AS m(uid, article_id)
       WHERE NOT EXISTS (SELECT 1 FROM rxscale_command c WHERE c.status = 'pending' AND c.kind = $4 AND c.target_uid = m.uid)
       RETURNING id`,
      [
        pharmacyUid,
        mappings.map((m) => m.pharmacySkuUid),
        mappings.map((m) => m.articleId),
        InventoryCommandKinds.skuExternalId,
        InventoryCommandPriorities[InventoryCommandKinds.skuExternalId],
      ],
    );
    return rows.length;
  }

  async unmappedSkus(manager: EntityManager, pharmacyUid: string): Promise<string[]> {
    const rows = await manager.query<{ pharmacy_sku_uid: string }[]>(
      `SELECT pharmacy_sku_uid FROM pharmacy_sku
       WHERE pharmacy_uid = $1 AND deleted_at IS NULL AND article_id IS NULL ORDER BY pharmacy_sku_uid`,
      [pharmacyUid],
    );
    return rows.map((r) => r.pharmacy_sku_uid);
  }

  async unmappedArticles(manager: EntityManager, pharmacyUid: string): Promise<string[]> {
    const rows = await manager.query<{ article_id: string }[]>(
      `SELECT a.article_id FROM article a
       WHERE a.pharmacy_uid = $1 AND NOT EXISTS (
         SELECT 1 FROM pharmacy_sku s
         WHERE s.pharmacy_uid = a.pharmacy_uid AND s.article_id = a.article_id AND s.deleted_at IS NULL)
       ORDER BY a.article_id`,
      [pharmacyUid],
    );
    return rows.map((r) => r.article_id);
  }

  async mappedArticleIds(manager: EntityManager, pharmacyUid: string): Promise<string[]> {
    const rows = await manager.query<{ article_id: string }[]>(
      'SELECT article_id FROM pharmacy_sku WHERE pharmacy_uid = $1 AND deleted_at IS NULL AND article_id IS NOT NULL',
      [pharmacyUid],
    );
    return rows.map((r) => r.article_id);
  }

  async find(manager: EntityManager, pharmacySkuUid: string): Promise<PharmacySkuRow | undefined> {
    const rows = await manager.query<
      {
        pharmacy_sku_uid: string;
        pharmacy_uid: string;
        sku_uid: string;
        pzn: string | null;
        external_id: string | null;
        article_id: string | null;
        rxscale_stock: number | null;
        pushed_stock: number | null;
        deleted: boolean;
      }[]
    >(
      `SELECT pharmacy_sku_uid, pharmacy_uid, sku_uid, pzn, external_id, article_id, rxscale_stock, pushed_stock,
              deleted_at IS NOT NULL AS deleted
       FROM pharmacy_sku WHERE pharmacy_sku_uid = $1`,
      [pharmacySkuUid],
    );
    const r = rows[0];
    return r
      ? {
          pharmacySkuUid: r.pharmacy_sku_uid,
          pharmacyUid: r.pharmacy_uid,
          skuUid: r.sku_uid,
          pzn: r.pzn,
          externalId: r.external_id,
          articleId: r.article_id,
          rxscaleStock: r.rxscale_stock,
          pushedStock: r.pushed_stock,
          deleted: r.deleted,
        }
      : undefined;
  }
}
