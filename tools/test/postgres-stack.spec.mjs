// The stack's PostgreSQL: the configured server with the database created when missing, or an embedded
// PostgreSQL when DATABASE_URL is unset and nothing answers.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, databaseUrl } from '@rxbridge/testing';
import { embeddedBinFolder, folderBlockingOthers, startPostgres } from '../postgres/postgres.mjs';

const quiet = () => {};
const asRoot = process.getuid?.() === 0;
// As root from a checkout in a private folder, the embedded PostgreSQL cannot run at all (see below).
const privateCheckout = asRoot && folderBlockingOthers(await embeddedBinFolder()) !== undefined;

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
    // Only the name is reserved: creating it is what startPostgres does.
    const missing = await createTestDatabase('stack_test', { create: false });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const pgRes = await startPostgres({ env: { DATABASE_URL: missing.url }, log: quiet });
      expect(pgRes.embedded).toBe(false);
      expect(await select1(pgRes.url)).toBe(1);
      // Starting again finds it and changes nothing.
      await startPostgres({ env: { DATABASE_URL: missing.url }, log: quiet });
      const found = await admin.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [
        missing.name,
      ]);
      expect(found.rows[0].n).toBe(1);
    } finally {
      await admin.end();
      await missing.drop();
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
      if (privateCheckout) {
        await expect(startPostgres({ env, log: quiet })).rejects.toThrow(
          /cannot reach its programs.*DATABASE_URL/,
        );
        return;
      }
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

  describe('from a private folder (as root, PostgreSQL runs as the user postgres)', () => {
    it('names the first folder other users cannot pass', () => {
      const home = mkdtempSync(join(tmpdir(), 'rxbridge-private-')); // mode 0700, as mktemp -d
      try {
        mkdirSync(join(home, 'checkout', 'node_modules'), { recursive: true });
        expect(folderBlockingOthers(join(home, 'checkout', 'node_modules', 'initdb'))).toEqual({
          dir: home,
          mode: '0700',
        });
        chmodSync(home, 0o755);
        expect(folderBlockingOthers(join(home, 'checkout', 'node_modules'))).toBeUndefined();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });

    (asRoot ? it : it.skip)(
      'refuses at once, saying why and that DATABASE_URL is the way out, and starts nothing',
      async () => {
        const home = mkdtempSync(join(tmpdir(), 'rxbridge-private-'));
        const data = join(home, 'pg');
        try {
          await expect(
            startPostgres({
              env: {
                DATABASE_URL: undefined,
                RXBRIDGE_POSTGRES_PROBE_PORT: '1',
                RXBRIDGE_POSTGRES_EMBEDDED_PORT: '55433',
                RXBRIDGE_POSTGRES_DATA: data,
              },
              log: quiet,
            }),
          ).rejects.toThrow(
            privateCheckout
              ? /cannot reach its programs at .* is mode 0700.*Set DATABASE_URL/
              : new RegExp(
                  `cannot reach its data folder at ${data} because ${home} is mode 0700.*Set DATABASE_URL`,
                ),
          );
          await expect(select1('postgres://postgres:postgres@127.0.0.1:55433/rxbridge')).rejects.toThrow();
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      },
      // A refusal takes no time; the suite's timeout would hide a hang behind three minutes.
      20_000,
    );
  });
});
