import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Where a refused order was before RxScale refused its change (issue 10, operator retry): a retry takes it
 * back there. NULL for an order refused at first sight (first seen already past `pending review`), which had
 * no state of its own. Orders refused before this migration get it from their history: the last entry into
 * `refused` names the state it left (a first-seen refusal's entry has none).
 */
export class AddRefusedFrom1791000000001 implements MigrationInterface {
  name = 'AddRefusedFrom1791000000001';

  async up(q: QueryRunner): Promise<void> {
    const states = `'received', 'awaiting_stock', 'in_progress', 'ready', 'shipped', 'completed', 'cancelled', 'on_hold'`;
    await q.query(`ALTER TABLE orders ADD COLUMN refused_from text CHECK (refused_from IN (${states}))`);
    await q.query(`
      UPDATE orders o SET refused_from = (
        SELECT h.from_state FROM order_status_history h
        WHERE h.pharmacy_order_uid = o.pharmacy_order_uid AND h.to_state = 'refused'
          AND h.from_state IS DISTINCT FROM 'refused'
        ORDER BY h.id DESC LIMIT 1)
      WHERE o.state = 'refused'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE orders DROP COLUMN refused_from');
  }
}
