// @ts-check
// docker-compose.yml's one-shot `setup`: what `npm start` does before the apps start, for containers. It
// provisions the topic catalog, mints this run's API tokens and patient-data key, subscribes the gateway
// at the sandbox, and writes one env file per app into STACK_ENV_DIR (the `stack-env` volume), which each
// app's command sources before `exec node`. The env comes from stackApps (tools/stack/apps.mjs), the list
// `npm start` runs, with the compose service names as hosts: one wiring, not a second one.
//   KAFKA_BROKERS, STACK_ENV_DIR (default /run/rxbridge), SANDBOX_SEED (default: the sandbox package's seed)
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mintStackCredentials } from './credentials.mjs';
import { preparedEnv, stackApps } from './apps.mjs';
import { provisionCatalogTopics } from './gateway-wiring.mjs';

/** The compose service each stack app is reached at. */
export const COMPOSE_HOSTS = Object.freeze({
  sandbox: 'sandbox',
  gateway: 'gateway',
  order: 'order-service',
  inventory: 'inventory-service',
  shipping: 'shipping-service',
});

/** @param {string} value a value for a POSIX shell's `.`: single-quoted, inner quotes closed and reopened */
export function shellQuote(value) {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** @param {Record<string, string>} env */
export function envFile(env) {
  return `${Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join('\n')}\n`;
}

/**
 * @param {{ brokers: string, dir: string, seedFile: string, hosts?: Partial<typeof COMPOSE_HOSTS>,
 *   ports?: import('./apps.mjs').StackOptions['ports'], log?: (l: string) => void }} o
 * @returns {Promise<string[]>} the files written
 */
export async function composeSetup(o) {
  const log = o.log ?? ((l) => console.log(l));
  const topics = await provisionCatalogTopics(o.brokers);
  log(`[setup] topics: ${topics.created.length} created, ${topics.existing.length} already there`);
  const credentials = await mintStackCredentials();
  const apps = stackApps({
    credentials,
    hosts: { ...COMPOSE_HOSTS, ...o.hosts },
    listenHost: '0.0.0.0',
    seedFile: o.seedFile,
    ports: o.ports,
  });
  mkdirSync(o.dir, { recursive: true });
  const written = [];
  for (const app of apps) {
    const env = { ...app.env, ...(await preparedEnv(app)) };
    const file = join(o.dir, `${app.name}.env`);
    // readable by the apps' user (uid 1000 in every image), by nobody else
    writeFileSync(file, envFile(env), { mode: 0o600 });
    chmodSync(file, 0o600);
    written.push(file);
  }
  log(`[setup] wrote ${written.map((f) => f.split('/').pop()).join(', ')} into ${o.dir}`);
  return written;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const require = createRequire(import.meta.url);
  const seedFile =
    process.env.SANDBOX_SEED ??
    join(dirname(require.resolve('@rxbridge/rxscale-sandbox')), '..', 'seed', 'demo-chain.json');
  try {
    await composeSetup({
      brokers: process.env.KAFKA_BROKERS ?? 'kafka:9092',
      dir: process.env.STACK_ENV_DIR ?? '/run/rxbridge',
      seedFile,
    });
  } catch (err) {
    console.error(`[setup] ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
