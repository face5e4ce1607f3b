import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The HTTP edge's idempotency keys, in the service's schema. A row is claimed (status NULL, locked_until set)
 * before the handler runs and holds the answer once it has; keys are scoped per token name, so two callers
 * cannot collide or read each other's answers.
 */
export class CreateHttpIdempotencyKey1790000000100 implements MigrationInterface {
  name = 'CreateHttpIdempotencyKey1790000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE http_idempotency_key (
        token_name text NOT NULL,
        key text NOT NULL,
        -- sha256 of method, path, query and the body with its keys sorted: "the same request"
        request_hash text NOT NULL,
        -- while the first request runs; a claim whose lease ran out (the pod died) may be taken over
        locked_until timestamptz,
        status integer,
        -- json, not jsonb: a replay sends the body with its keys in the order first sent
        response json,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (token_name, key)
      )`);
    await q.query('CREATE INDEX http_idempotency_key_created_idx ON http_idempotency_key (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE http_idempotency_key');
  }
}

/**
 * The digest of a streamed body (a CSV upload), which the request hash taken before the handler cannot
 * cover: stored with the answer, compared on a replay. NULL for every other request.
 */
export class AddHttpIdempotencyContentHash1790000000101 implements MigrationInterface {
  name = 'AddHttpIdempotencyContentHash1790000000101';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE http_idempotency_key ADD COLUMN content_hash text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE http_idempotency_key DROP COLUMN content_hash');
  }
}

/** Add after plumbingMigrations (or alone) in a service with an HTTP API. */
export const httpEdgeMigrations = [
  CreateHttpIdempotencyKey1790000000100,
  AddHttpIdempotencyContentHash1790000000101,
];
