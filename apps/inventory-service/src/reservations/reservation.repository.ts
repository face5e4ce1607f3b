import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { updateReturning } from '../database/update-returning.js';

export type ReservationState = 'held' | 'failed' | 'released' | 'deducted';

export interface ReservationLine {
  orderItemUid: string;
  articleId: string;
  pharmacySkuUid: string | null;
  externalId: string | null;
  pzn: string | null;
  quantity: number;
}

/** Reservations per order and per line. */
@Injectable()
export class ReservationRepository {
  /**
   * Takes the order: the first transaction to insert its row wins, a concurrent one for the same order
   * waits on the key and then finds it taken. Returns the existing state when taken.
   */
  async claim(
    manager: EntityManager,
    input: { pharmacyUid: string; pharmacyOrderUid: string; state: ReservationState; at: Date },
  ): Promise<{ claimed: true } | { claimed: false; state: ReservationState }> {
    const rows = await manager.query<{ pharmacy_order_uid: string }[]>(
      `INSERT INTO reservation (pharmacy_order_uid, pharmacy_uid, state, created_at, settled_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'held' THEN NULL ELSE $4::timestamptz END)
       ON CONFLICT (pharmacy_order_uid) DO NOTHING RETURNING pharmacy_order_uid`,
      [input.pharmacyOrderUid, input.pharmacyUid, input.state, input.at],
    );
    if (rows.length > 0) return { claimed: true };
    const existing = await this.state(manager, input.pharmacyOrderUid);
    return { claimed: false, state: existing ?? 'held' };
  }

  async state(manager: EntityManager, pharmacyOrderUid: string): Promise<ReservationState | undefined> {
    const rows = await manager.query<{ state: ReservationState }[]>(
      'SELECT state FROM reservation WHERE pharmacy_order_uid = $1',
      [pharmacyOrderUid],
    );
    return rows[0]?.state;
  }

  async markFailed(manager: EntityManager, pharmacyOrderUid: string, at: Date): Promise<void> {
    await manager.query(
      `UPDATE reservation SET state = 'failed', settled_at = $2 WHERE pharmacy_order_uid = $1`,
      [pharmacyOrderUid, at],
    );
  }

  async insertLines(
    manager: EntityManager,
    pharmacyUid: string,
    pharmacyOrderUid: string,
    lines: readonly ReservationLine[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO reservation_line (pharmacy_order_uid, order_item_uid, pharmacy_uid, article_id, pharmacy_sku_uid,
                                     external_id, pzn, quantity)
       SELECT $1, l.item, $2, l.article_id, l.psku, l.ext_id, l.pzn, l.quantity
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
         AS l(item, article_id, psku, ext_id, pzn, quantity)`,
      [
        pharmacyOrderUid,
        pharmacyUid,
        lines.map((l) => l.orderItemUid),
        lines.map((l) => l.articleId),
        lines.map((l) => l.pharmacySkuUid),
        lines.map((l) => l.externalId),
        lines.map((l) => l.pzn),
        lines.map((l) => l.quantity),
      ],
    );
  }

  /**
   * Moves a held reservation to released or deducted and returns its pharmacy; undefined when it was not
   * held (unknown, failed, or already settled), which makes release and deduction idempotent. The row
   * lock serialises a cancel racing a completion: the second finds it no longer held.
   */
  async settle(
    manager: EntityManager,
    pharmacyOrderUid: string,
    to: 'released' | 'deducted',
    at: Date,
  ): Promise<{ pharmacyUid: string } | undefined> {
    const rows = await updateReturning<{ pharmacy_uid: string }>(
      manager,
      `UPDATE reservation SET state = $2, settled_at = $3 WHERE pharmacy_order_uid = $1 AND state = 'held'
       RETURNING pharmacy_uid`,
      [pharmacyOrderUid, to, at],
    );
    return rows[0] ? { pharmacyUid: rows[0].pharmacy_uid } : undefined;
  }

  async lines(manager: EntityManager, pharmacyOrderUid: string): Promise<ReservationLine[]> {
    const rows = await manager.query<
      {
        order_item_uid: string;
        article_id: string;
        pharmacy_sku_uid: string | null;
        external_id: string | null;
        pzn: string | null;
        quantity: number;
      }[]
    >(
      `SELECT order_item_uid, article_id, pharmacy_sku_uid, external_id, pzn, quantity
       FROM reservation_line WHERE pharmacy_order_uid = $1 ORDER BY order_item_uid`,
      [pharmacyOrderUid],
    );
    return rows.map((r) => ({
      orderItemUid: r.order_item_uid,
      articleId: r.article_id,
      pharmacySkuUid: r.pharmacy_sku_uid,
      externalId: r.external_id,
      pzn: r.pzn,
      quantity: r.quantity,
    }));
  }
}
