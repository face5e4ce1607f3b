import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Channel the relays LISTEN on; the payload is the schema, so one channel serves every service. */
export const OUTBOX_CHANNEL = 'rxbridge_outbox';
export const RXSCALE_COMMAND_CHANNEL = 'rxbridge_rxscale_command';

/**
 * The transactional outbox and the RxScale command queue. A statement trigger NOTIFYs the relays; the
 * notification is delivered only when the inserting transaction commits, which is exactly when a row
 * becomes publishable.
 */
export class CreateOutboxAndRxscaleCommand1790000000001 implements MigrationInterface {
  name = 'CreateOutboxAndRxscaleCommand1790000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        key text NOT NULL,
        -- json, not jsonb: the text is kept byte for byte as enqueued
        value json NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- clock_timestamp, not now(): now() is the transaction's start, not the insert
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX outbox_pending_idx ON outbox (topic, key, id) WHERE published_at IS NULL');
    await q.query(`
      CREATE TABLE rxscale_command (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        target_uid text NOT NULL,
        payload jsonb NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        pharmacy_uid text,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'refused', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        reason text,
        last_error text,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        completed_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX rxscale_command_pending_idx ON rxscale_command (target_uid, id) WHERE status = 'pending'`,
    );
    await q.query(`
      CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${OUTBOX_CHANNEL}', TG_TABLE_SCHEMA); RETURN NULL; END $$`);
    await q.query(`
      CREATE FUNCTION notify_rxscale_command() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${RXSCALE_COMMAND_CHANNEL}', TG_TABLE_SCHEMA); RETURN NULL; END $$`);
    await q.query(
      'CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox()',
    );
    await q.query(
      'CREATE TRIGGER rxscale_command_notify AFTER INSERT ON rxscale_command FOR EACH STATEMENT EXECUTE FUNCTION notify_rxscale_command()',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rxscale_command');
    await q.query('DROP TABLE outbox');
    await q.query('DROP FUNCTION notify_rxscale_command()');
    await q.query('DROP FUNCTION notify_outbox()');
  }
}
