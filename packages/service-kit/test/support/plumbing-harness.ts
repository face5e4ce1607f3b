// What the plumbing tests share beyond @rxbridge/testing: the test service's tables, its events, and
// the assertions on them.
import { createCloudEvent, type CloudEvent } from '@rxbridge/contracts';
import { createTestSchema as createSchema, databaseUrl } from '@rxbridge/testing';
import type { Admin, IHeaders } from 'kafkajs';
import type pg from 'pg';
import { type DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { createServiceDataSource, migrateServiceSchema, plumbingMigrations } from '../../src/index.js';

/** The test service's own table: no unique constraint, so a doubled effect shows as two rows. */
export class CreateEffects1790000001000 implements MigrationInterface {
  name = 'CreateEffects1790000001000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE effect (
      applied bigserial PRIMARY KEY, event_id text NOT NULL, key text, seq integer, attempt integer NOT NULL)`);
    await q.query('CREATE TABLE refuse (event_id text PRIMARY KEY)');
    await q.query(
      'CREATE TABLE command_outcome (command_id text NOT NULL, outcome text NOT NULL, reason text)',
    );
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE effect, refuse, command_outcome');
  }
}

export const testMigrations = [...plumbingMigrations, CreateEffects1790000001000];

export interface TestSchema {
  schema: string;
  dataSource: DataSource;
  /** a plain pg client for assertions */
  sql: pg.Client;
  drop(): Promise<void>;
}

/** A schema of its own, migrated with the plumbing's and the test service's migrations. */
export async function createTestSchema(): Promise<TestSchema> {
  // The service's migrations create the schema, as they do in production.
  const reserved = await createSchema('plumbing', { create: false });
  const dataSource = createServiceDataSource({
    url: databaseUrl,
    schema: reserved.name,
    migrations: testMigrations,
    poolSize: 8,
  });
  try {
    await dataSource.initialize();
    await migrateServiceSchema(dataSource);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await reserved.drop();
    throw error;
  }
  return {
    schema: reserved.name,
    dataSource,
    sql: reserved.sql,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await reserved.drop();
    },
  };
}

export interface EffectData {
  key: string;
  seq: number;
  /** the handler throws a transient error while the attempt is below this */
  failUntilAttempt?: number;
  /** the handler throws a permanent error */
  refuse?: boolean;
  /** the handler waits this long first (as a handler waiting for RxScale's rate budget does) */
  holdMs?: number;
}

export function effectEvent(data: EffectData, id?: string): CloudEvent {
  return createCloudEvent({
    type: 'test.effect',
    source: '/plumbing-test',
    subject: data.key,
    data,
    ...(id ? { id } : {}),
  });
}

export function record(
  event: CloudEvent,
  key: string,
  headers: IHeaders = {},
): { key: string; value: string; headers: IHeaders } {
  return { key, value: JSON.stringify(event), headers };
}

export async function count(sql: pg.Client, query: string, params: unknown[] = []): Promise<number> {
  const res = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM (${query}) q`, params);
  return Number(res.rows[0]!.n);
}

/** Committed offsets of a group equal the topic's end offsets. */
export async function offsetsCommittedToEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return ends.every((e) => {
    const c = committed!.partitions.find((p) => p.partition === e.partition);
    return BigInt(e.high) === 0n ? true : c !== undefined && c.offset === e.high;
  });
}
