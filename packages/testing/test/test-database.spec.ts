import pg from 'pg';
import { createTestDatabase, createTestSchema, databaseUrl } from '../src/index.js';

async function exists(query: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(query, [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}
const schemaExists = (name: string) =>
  exists('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', name);
const databaseExists = (name: string) => exists('SELECT 1 FROM pg_database WHERE datname = $1', name);

describe(createTestSchema.name, () => {
  it('creates a uniquely named schema that its client writes into, and drops it with its tables', async () => {
    const a = await createTestSchema('testing_kit');
    const b = await createTestSchema('testing_kit');
    try {
      expect(a.name).toMatch(/^testing_kit_[0-9a-f]{8}$/);
      expect(b.name).not.toBe(a.name);
      await a.sql.query('CREATE TABLE note (id int)');
      const where = await a.sql.query<{ table_schema: string }>(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'note'",
      );
      expect(where.rows.map((r) => r.table_schema)).toContain(a.name);
    } finally {
      await a.drop();
      await b.drop();
    }
    expect(await schemaExists(a.name)).toBe(false);
    await a.drop(); // again: nothing to do, no error
  });

  it('only reserves the name when asked not to create it, and still drops what the test created', async () => {
    const reserved = await createTestSchema('testing_kit', { create: false });
    expect(await schemaExists(reserved.name)).toBe(false);
    await reserved.sql.query(`CREATE SCHEMA ${reserved.name}`);
    await reserved.drop();
    expect(await schemaExists(reserved.name)).toBe(false);
  });

  it('refuses a prefix that is not a plain identifier and creates nothing', async () => {
    await expect(createTestSchema('x; DROP TABLE y')).rejects.toThrow(/lower-case \[a-z0-9_\]/);
  });
});

describe(createTestDatabase.name, () => {
  it('creates a database, drops it even while a client is still connected', async () => {
    const db = await createTestDatabase('testing_kit');
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => {}); // the forced drop ends this connection
    await client.connect();
    expect((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db).toBe(db.name);
    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await client.end().catch(() => {});
  });
});
