import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The inventory schema: what RxScale knows (pharmacy_sku), what the PMS says (article), what orders hold
 * (reservation, reservation_line), every movement (stock_ledger) and every disagreement RxScale reported
 * (stock_disagreement). Pending pushes are rxscale_command rows of the plumbing (kind 'sku.stock'): the
 * desired value is never stored twice, it is always on_hand - reserved of the mapped article.
 */
export class CreateInventory1792000000000 implements MigrationInterface {
  name = 'CreateInventory1792000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE article (
        pharmacy_uid text NOT NULL,
        -- the PMS's article id: it becomes RxScale's external_id once mapped
        article_id text NOT NULL,
        pzn text,
        on_hand integer NOT NULL CHECK (on_hand >= 0),
        reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        pms_reported_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (pharmacy_uid, article_id)
      )`);
    await q.query('CREATE INDEX article_pzn_idx ON article (pharmacy_uid, pzn) WHERE pzn IS NOT NULL');
    await q.query(`
      CREATE TABLE pharmacy_sku (
        pharmacy_sku_uid text PRIMARY KEY,
        pharmacy_uid text NOT NULL,
        sku_uid text NOT NULL,
        pzn text,
        external_id text,
        -- the PMS article this SKU is mapped to; null while unmapped
        article_id text,
        -- the last stock value RxScale reported (sync, webhook) or was told by a push
        rxscale_stock integer,
        rxscale_stock_at timestamptz,
        pushed_stock integer,
        pushed_at timestamptz,
        synced_at timestamptz NOT NULL,
        deleted_at timestamptz
      )`);
    // One SKU per article: a second SKU claiming the same article stays unmapped and is reported.
    await q.query(
      'CREATE UNIQUE INDEX pharmacy_sku_article_idx ON pharmacy_sku (pharmacy_uid, article_id) WHERE article_id IS NOT NULL',
    );
    await q.query(`
      CREATE TABLE reservation (
        pharmacy_order_uid text PRIMARY KEY,
        pharmacy_uid text NOT NULL,
        state text NOT NULL CHECK (state IN ('held', 'failed', 'released', 'deducted')),
        created_at timestamptz NOT NULL,
        settled_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE reservation_line (
        pharmacy_order_uid text NOT NULL REFERENCES reservation (pharmacy_order_uid),
        order_item_uid text NOT NULL,
        pharmacy_uid text NOT NULL,
        article_id text NOT NULL,
        pharmacy_sku_uid text,
        external_id text,
        pzn text,
        quantity integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (pharmacy_order_uid, order_item_uid)
      )`);
    await q.query(`
      CREATE TABLE stock_ledger (
        id bigserial PRIMARY KEY,
        pharmacy_uid text NOT NULL,
        article_id text NOT NULL,
        cause text NOT NULL CHECK (cause IN ('pms-level', 'reservation', 'release', 'deduction', 'correction')),
        on_hand_delta integer NOT NULL,
        reserved_delta integer NOT NULL,
        on_hand_after integer NOT NULL,
        reserved_after integer NOT NULL,
        -- the order uid, or null for a PMS report
        reference text,
        recorded_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX stock_ledger_article_idx ON stock_ledger (pharmacy_uid, article_id, id)');
    await q.query(`
      CREATE TABLE stock_disagreement (
        id bigserial PRIMARY KEY,
        pharmacy_uid text NOT NULL,
        pharmacy_sku_uid text NOT NULL,
        reported_stock integer NOT NULL,
        expected_stock integer,
        repaired_to integer,
        detected_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE stock_disagreement');
    await q.query('DROP TABLE stock_ledger');
    await q.query('DROP TABLE reservation_line');
    await q.query('DROP TABLE reservation');
    await q.query('DROP TABLE pharmacy_sku');
    await q.query('DROP TABLE article');
  }
}
