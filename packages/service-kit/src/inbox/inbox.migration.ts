import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The inbox (one row per handled event) and the parked records (transient failures set aside for a later
 * retry). Unqualified names: the service's search_path puts them in its own schema.
 */
export class CreateInboxAndParked1790000000000 implements MigrationInterface {
  name = 'CreateInboxAndParked1790000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbox (
        event_id text PRIMARY KEY,
        -- RxScale's own delivery identity; a redelivered webhook can carry a new CloudEvent id.
        dedup_key text UNIQUE,
        event_type text NOT NULL,
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        handled_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`
      CREATE TABLE parked (
        id bigserial PRIMARY KEY,
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        record_key text,
        record_value bytea,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        event_id text,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        -- true when the record itself never failed but waits behind an earlier parked record of its key
        behind_key boolean NOT NULL DEFAULT false,
        parked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX parked_key_idx ON parked (consumer_group, topic, record_key, id)');
    await q.query('CREATE INDEX parked_due_idx ON parked (consumer_group, next_attempt_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE parked');
    await q.query('DROP TABLE inbox');
  }
}
