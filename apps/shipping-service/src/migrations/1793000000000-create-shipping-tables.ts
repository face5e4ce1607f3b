import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The shipping schema. Patient data lives in one table only, `delivery_address`, as a FieldCipher envelope;
 * every other table names orders, pharmacies and shipments by uid. Times are written by the service's Clock,
 * so they carry no database default.
 */
export class CreateShippingTables1793000000000 implements MigrationInterface {
  name = 'CreateShippingTables1793000000000';

  async up(q: QueryRunner): Promise<void> {
    // What shipping-service remembers of an order from pharmacy.orders.v1, from `received` until it is done.
    await q.query(`
      CREATE TABLE shipping_order (
        pharmacy_order_uid text PRIMARY KEY,
        pharmacy_uid text NOT NULL,
        -- delivery_type.identifier as received (undocumented values, API.md §8.1); null when RxScale sent none
        delivery_type text,
        fulfilment text NOT NULL CHECK (fulfilment IN ('shipment', 'hand-over')),
        status text NOT NULL CHECK (status IN ('received', 'ready', 'cancelled')),
        received_at timestamptz NOT NULL,
        ready_at timestamptz,
        cancelled_at timestamptz,
        address_purged_at timestamptz,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE shipment (
        shipment_uid text PRIMARY KEY DEFAULT gen_random_uuid()::text,
        -- one shipment per order: complete_order carries one tracking number (API.md §10)
        pharmacy_order_uid text NOT NULL UNIQUE REFERENCES shipping_order (pharmacy_order_uid),
        pharmacy_uid text NOT NULL,
        fulfilment text NOT NULL CHECK (fulfilment IN ('shipment', 'hand-over')),
        state text NOT NULL
          CHECK (state IN ('expected', 'dispatched', 'handed-over', 'delivered', 'stopped', 'flagged')),
        carrier text,
        tracking_number text,
        tracking_url text CHECK (tracking_url IS NULL OR tracking_url LIKE 'https://%'),
        -- why a person has to look at it (a cancellation after it left); fixed texts, never patient data
        flag_reason text,
        expected_at timestamptz NOT NULL,
        dispatched_at timestamptz,
        handed_over_at timestamptz,
        delivered_at timestamptz,
        stopped_at timestamptz,
        flagged_at timestamptz,
        -- when the desk stopped needing the address: the retention clock of delivery_address
        closed_at timestamptz,
        updated_at timestamptz NOT NULL,
        CHECK (state NOT IN ('dispatched', 'delivered') OR (carrier IS NOT NULL AND tracking_number IS NOT NULL)),
        CHECK ((state IN ('handed-over', 'delivered', 'stopped', 'flagged')) = (closed_at IS NOT NULL))
      )`);
    await q.query('CREATE INDEX shipment_state_idx ON shipment (pharmacy_uid, state, expected_at)');
    await q.query(
      'CREATE INDEX shipment_tracking_idx ON shipment (tracking_number) WHERE tracking_number IS NOT NULL',
    );
    await q.query('CREATE INDEX shipment_closed_idx ON shipment (closed_at) WHERE closed_at IS NOT NULL');
    await q.query(`
      CREATE TABLE delivery_address (
        pharmacy_order_uid text PRIMARY KEY REFERENCES shipping_order (pharmacy_order_uid),
        -- FieldCipher envelope of the address as JSON, bound (AAD) to the order uid
        envelope text NOT NULL,
        stored_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE shipment_history (
        id bigserial PRIMARY KEY,
        shipment_uid text NOT NULL REFERENCES shipment (shipment_uid),
        pharmacy_order_uid text NOT NULL,
        from_state text,
        to_state text NOT NULL,
        trigger text NOT NULL,
        initiator text NOT NULL CHECK (initiator IN ('rxscale', 'rxbridge', 'pharmacy')),
        reason text,
        at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX shipment_history_shipment_idx ON shipment_history (shipment_uid, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE shipment_history');
    await q.query('DROP TABLE delivery_address');
    await q.query('DROP TABLE shipment');
    await q.query('DROP TABLE shipping_order');
  }
}
