import { randomBytes } from 'node:crypto';
import { createCloudEvent, type CloudEvent } from '@rxbridge/contracts';
import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import pg from 'pg';
import { type DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { createServiceDataSource, migrateServiceSchema, plumbingMigrations } from '../../src/index.js';

export const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rxbridge';
export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function suffix(): string {
  return randomBytes(4).toString('hex');
}

export function kafkaClient(clientId = 'plumbing-test'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

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

export async function createTestSchema(): Promise<TestSchema> {
  const schema = `plumbing_${suffix()}`;
  const dataSource = createServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: testMigrations,
    poolSize: 8,
  });
  await dataSource.initialize();
  await migrateServiceSchema(dataSource);
  const sql = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await sql.connect();
  return {
    schema,
    dataSource,
    sql,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await sql.end();
    },
  };
}

export async function createTopics(
  admin: Admin,
  topics: { name: string; partitions: number }[],
): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
  });
}

export interface EffectData {
  key: string;
  seq: number;
  /** the handler throws a transient error while the attempt is below this */
  failUntilAttempt?: number;
  /** the handler throws a permanent error */
  refuse?: boolean;
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

/** Polls until `check` returns a truthy value; fails with `description` after `timeoutMs`. No timing is asserted. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  description: string,
  timeoutMs = 45_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${description}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
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

/** Deletes those of `topics` that exist (kafkajs retries a while on a topic that does not). */
export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present });
}
