// The stack's PostgreSQL: the configured server with the database created when missing, or an embedded
// PostgreSQL when DATABASE_URL is unset and nothing answers.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../postgres/postgres.mjs';

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rxbridge';
const quiet = () => {};

/** @param {string} url */
async function select1(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return (await client.query('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('the stack PostgreSQL', () => {
  it('creates the database named in DATABASE_URL when it is missing', async () => {
    const name = `stack_test_${randomBytes(4).toString('hex')}`;
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      const pgRes = await startPostgres({ env: { DATABASE_URL: url.toString() }, log: quiet });
      expect(pgRes.embedded).toBe(false);
      expect(await select1(pgRes.url)).toBe(1);
      // Starting again finds it and changes nothing.
      await startPostgres({ env: { DATABASE_URL: url.toString() }, log: quiet });
      const found = await admin.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [
        name,
      ]);
      expect(found.rows[0].n).toBe(1);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    }
  });

  it('refuses a DATABASE_URL where nothing answers, naming it without its password', async () => {
    await expect(
      startPostgres({ env: { DATABASE_URL: 'postgres://app:s3cret@127.0.0.1:1/rxbridge' }, log: quiet }),
    ).rejects.toThrow(
      /no PostgreSQL answers at DATABASE_URL \(postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/rxbridge\)/,
    );
  });

  it('starts an embedded PostgreSQL when DATABASE_URL is unset and nothing answers, and stops it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'rxbridge-pg-'));
    const env = {
      DATABASE_URL: undefined,
      RXBRIDGE_POSTGRES_PROBE_PORT: '1',
      RXBRIDGE_POSTGRES_EMBEDDED_PORT: '55432',
      RXBRIDGE_POSTGRES_DATA: data,
    };
    try {
      const embedded = await startPostgres({ env, log: quiet });
      expect(embedded.embedded).toBe(true);
      expect(new URL(embedded.url).port).toBe('55432');
      expect(await select1(embedded.url)).toBe(1);
      await embedded.stop();
      await expect(select1(embedded.url)).rejects.toThrow();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
