import pg from 'pg';
import { databaseUrl as configuredUrl } from './local-stack.js';
import { uniqueIdentifier } from './unique-name.js';

export interface TestDatabaseOptions {
  /** the server (and for a schema, the database) to use; default the tests' DATABASE_URL */
  databaseUrl?: string;
  /** false: only reserve the name (for code under test that creates it), still dropped by drop() */
  create?: boolean;
}

export interface TestSchema {
  /** the schema's unique name */
  name: string;
  /** the database the schema lives in */
  databaseUrl: string;
  /** a client whose search_path is the schema, for setup and assertions */
  sql: pg.Client;
  /** drops the schema with everything in it and ends `sql`; calling it again does nothing */
  drop(): Promise<void>;
}

/**
 * A uniquely named schema for one test file (or one test) in the shared database: `prefix_<suffix>`.
 * Call drop() in afterAll/afterEach.
 */
export async function createTestSchema(
  prefix: string,
  options: TestDatabaseOptions = {},
): Promise<TestSchema> {
  const name = uniqueIdentifier(prefix);
  const url = options.databaseUrl ?? configuredUrl;
  const sql = new pg.Client({ connectionString: url, options: `-c search_path=${name}` });
  await sql.connect();
  try {
    if (options.create ?? true) await sql.query(`CREATE SCHEMA ${name}`);
  } catch (error) {
    await sql.end();
    throw error;
  }
  let dropped = false;
  return {
    name,
    databaseUrl: url,
    sql,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await sql.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await sql.end();
      }
    },
  };
}

export interface TestDatabase {
  /** the database's unique name */
  name: string;
  /** DATABASE_URL with this database instead */
  url: string;
  /** drops the database, ending whatever still connects to it; calling it again does nothing */
  drop(): Promise<void>;
}

/** A uniquely named database on the tests' server, for tests that need a whole database. */
export async function createTestDatabase(
  prefix: string,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const name = uniqueIdentifier(prefix);
  const server = options.databaseUrl ?? configuredUrl;
  const url = new URL(server);
  url.pathname = `/${name}`;
  const onServer = async (statement: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  if (options.create ?? true) await onServer(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
