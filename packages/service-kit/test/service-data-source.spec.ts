import type pg from 'pg';
import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTestSchema, databaseUrl, type TestSchema } from '@rxbridge/testing';
import { createServiceDataSource, migrateServiceSchema, runMigrateEntry } from '../src/index.js';

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(q: QueryRunner): Promise<void> {
    // Unqualified on purpose: the service's search_path must put it in the service's schema.
    await q.query('CREATE TABLE widget (id integer PRIMARY KEY, label text NOT NULL)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE widget');
  }
}

class BrokenMigration1700000000001 implements MigrationInterface {
  name = 'BrokenMigration1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE widget ADD COLUMN weight integer');
    await q.query('ALTER TABLE no_such_table ADD COLUMN x integer');
  }
  async down(): Promise<void> {}
}

describe('service database', () => {
  // Only the name is reserved: creating the schema is what the code under test does.
  let reserved: TestSchema;
  let schema: string;
  let admin: pg.Client;

  beforeAll(async () => {
    reserved = await createTestSchema('kit_test', { create: false });
    schema = reserved.name;
    admin = reserved.sql;
  });
  afterAll(() => reserved.drop());

  it('creates its own schema, applies migrations there with its own migrations table, and never synchronizes', async () => {
    const ds = createServiceDataSource({
      url: databaseUrl,
      schema,
      migrations: [CreateWidgets1700000000000],
    });
    expect(ds.options.synchronize).toBe(false);
    await ds.initialize();
    try {
      expect(await migrateServiceSchema(ds)).toEqual(['CreateWidgets1700000000000']);
      const tables = await admin.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(['migrations', 'widget']);
      const publicWidget = await admin.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'widget'",
      );
      expect(publicWidget.rowCount).toBe(0);
      // A second run (a restart, another replica) applies nothing.
      expect(await migrateServiceSchema(ds)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('rolls back a failing migration whole and reports it', async () => {
    const ds = createServiceDataSource({
      url: databaseUrl,
      schema,
      migrations: [CreateWidgets1700000000000, BrokenMigration1700000000001],
    });
    await ds.initialize();
    try {
      await expect(migrateServiceSchema(ds)).rejects.toThrow(/no_such_table/);
      const cols = await admin.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'widget' AND column_name = 'weight'",
        [schema],
      );
      expect(cols.rowCount).toBe(0);
      const applied = await admin.query<{ name: string }>(
        `SELECT name FROM "${schema}".migrations ORDER BY id`,
      );
      expect(applied.rows.map((r) => r.name)).toEqual(['CreateWidgets1700000000000']);
    } finally {
      await ds.destroy();
    }
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() =>
      createServiceDataSource({
        url: databaseUrl,
        schema: 'orders"; DROP SCHEMA public; --',
        migrations: [],
      }),
    ).toThrow(/invalid schema name/);
  });

  it('runs as the one-shot entry of a deploy: 0 when applied or already there, 1 on a failed migration', async () => {
    const entrySchema = `${schema}_entry`;
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' };
    try {
      const first = await runMigrateEntry({
        service: 'kit-test',
        schema: entrySchema,
        migrations: [CreateWidgets1700000000000],
        env,
      });
      const again = await runMigrateEntry({
        service: 'kit-test',
        schema: entrySchema,
        migrations: [CreateWidgets1700000000000],
        env,
      });
      expect([first, again]).toEqual([0, 0]);
      const widget = await admin.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'widget'",
        [entrySchema],
      );
      expect(widget.rowCount).toBe(1);
      const broken = await runMigrateEntry({
        service: 'kit-test',
        schema: entrySchema,
        migrations: [CreateWidgets1700000000000, BrokenMigration1700000000001],
        env,
      });
      expect(broken).toBe(1);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${entrySchema}" CASCADE`);
    }
  });
});
