import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The orders schema (issue 10). Patient data (name, delivery address, e-mail, date of birth) is stored only
 * as the patient-data cipher's envelopes in text columns, bound to the order and column by the cipher's aad;
 * the prescription file is never stored. Times the service decides come from its Clock, so none default to
 * now(); RxScale's own `updated_at` (Unix seconds, API.md §4) orders the updates it sends.
 */
export class CreateOrders1791000000000 implements MigrationInterface {
  name = 'CreateOrders1791000000000';

  async up(q: QueryRunner): Promise<void> {
    const states = `'received', 'awaiting_stock', 'in_progress', 'ready', 'shipped', 'completed', 'cancelled', 'on_hold', 'refused'`;
    await q.query(`
      CREATE TABLE orders (
        pharmacy_order_uid text PRIMARY KEY,
        pharmacy_uid text NOT NULL,
        order_uid text NOT NULL,
        name text,
        state text NOT NULL CHECK (state IN (${states})),
        held_from text CHECK (held_from IN (${states})),
        -- the RxScale status last confirmed: by a settled command, or a final status RxScale sent
        rxscale_status text,
        -- the newest RxScale updated_at seen for the order; older data is ignored
        rxscale_updated_at bigint,
        delivery_type text,
        priority integer,
        stock_policy text CHECK (stock_policy IN ('cancel', 'on-hold')),
        refused_requested text,
        refused_reason text,
        refused_status_code integer,
        -- the shipment reported with complete_order, for pharmacy.order.completed whichever way completion is seen
        shipment_uid text,
        patient_name text,
        patient_email text,
        patient_date_of_birth text,
        delivery_address text,
        patient_data_purged_at timestamptz,
        received_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        closed_at timestamptz
      )`);
    await q.query('CREATE INDEX orders_pharmacy_state_idx ON orders (pharmacy_uid, state, received_at)');
    await q.query('CREATE INDEX orders_state_idx ON orders (state, received_at)');
    await q.query(
      'CREATE INDEX orders_retention_idx ON orders (closed_at) WHERE closed_at IS NOT NULL AND patient_data_purged_at IS NULL',
    );
    await q.query(`
      CREATE TABLE order_lines (
        pharmacy_order_uid text NOT NULL REFERENCES orders (pharmacy_order_uid) ON DELETE CASCADE,
        order_item_uid text NOT NULL,
        sku_uid text NOT NULL,
        sku_name text,
        pharmacy_sku_uid text,
        external_id text,
        pzn text,
        quantity integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (pharmacy_order_uid, order_item_uid)
      )`);
    await q.query(`
      CREATE TABLE order_status_history (
        id bigserial PRIMARY KEY,
        pharmacy_order_uid text NOT NULL REFERENCES orders (pharmacy_order_uid) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        trigger text NOT NULL,
        from_state text,
        to_state text NOT NULL,
        rxscale_status text,
        initiator text NOT NULL,
        -- a comment or reason written by staff or RxScale about items and states, never about people
        note text
      )`);
    await q.query(
      'CREATE INDEX order_status_history_order_idx ON order_status_history (pharmacy_order_uid, id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE order_status_history');
    await q.query('DROP TABLE order_lines');
    await q.query('DROP TABLE orders');
  }
}
