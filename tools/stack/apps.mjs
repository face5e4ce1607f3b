// @ts-check
// The parts of RxBridge that `npm start` runs after the infrastructure, in start order. Each waits until
// the previous one answers on its `ready` path; `prepare` may compute env from what already runs.
// The end-to-end tests start the same list (other ports, other database), so what they test is what runs.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { subscribeGatewayAtSandbox } from './gateway-wiring.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const DEFAULT_PORTS = Object.freeze({
  sandbox: 4010,
  gateway: 3000,
  order: 3001,
  inventory: 3002,
  shipping: 3003,
});

/** The sandbox's demo group key (apps/rxscale-sandbox/README.md; demo only, never a real key). */
export const SANDBOX_DEMO_GROUP_KEY = 'demo-group-key-0000000000000000';
export const SANDBOX_SEED_FILE = 'apps/rxscale-sandbox/seed/demo-chain.json';

/** The seed's pharmacies, each served by the demo group key. @returns {string[]} */
/** @param {string} seedFile relative to the root, or absolute */
function seedPharmacies(seedFile) {
  const seed = JSON.parse(readFileSync(resolve(root, seedFile), 'utf8'));
  return seed.pharmacies.map((/** @type {{ uid: string }} */ p) => p.uid);
}

/**
 * The consumer group of each service in a stack: the topic catalog's (`ConsumerGroups`, the services'
 * defaults), with a suffix for a second stack on one broker. The stack provisions each group's `<group>.dlq`.
 * @param {string} [suffix]
 */
export function stackGroups(suffix = '') {
  return {
    order: `order-service${suffix}`,
    inventory: `inventory-service${suffix}`,
    shipping: `shipping-service${suffix}`,
  };
}

/**
 * @typedef {object} StackApp
 * @property {string} name
 * @property {string} dir
 * @property {string} entry the program, relative to dir
 * @property {string} url
 * @property {Record<string, string>} env
 * @property {string} [ready] path answered 2xx once the app can take work
 * @property {() => Promise<Record<string, string>>} [prepare] more env, computed before the app starts
 * @property {string[]} [prepares] the names of the variables prepare() returns: declared, so that the
 *   deployment tests know them without running it, and checked every time it runs (preparedEnv)
 */

/**
 * What `npm start` gives every app besides its own env: where the infrastructure it started (or found)
 * is. tools/stack/main.mjs builds its env with this; the deployment tests take the names from it.
 * @param {{ databaseUrl: string, brokers: string }} infra
 */
export function infrastructureEnv(infra) {
  return {
    DATABASE_URL: infra.databaseUrl,
    KAFKA_BROKERS: infra.brokers,
    // kafkajs' notice about its v2 partitioner, once per process: noise in a developer's terminal
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
}

/**
 * The env an app's prepare() computes (none without one), refused when it returns other variables than
 * the app declares in `prepares`.
 * @param {StackApp} app
 * @returns {Promise<Record<string, string>>}
 */
export async function preparedEnv(app) {
  const env = app.prepare ? await app.prepare() : {};
  const got = Object.keys(env).sort().join(', ');
  const declared = [...(app.prepares ?? [])].sort().join(', ');
  if (got !== declared)
    throw new Error(`${app.name}'s prepare() returned [${got}], its declaration says [${declared}]`);
  return env;
}

/**
 * @typedef {object} StackOptions
 * @property {{ sandbox: number, gateway: number, order: number, inventory: number, shipping: number }} [ports]
 * @property {import('./credentials.mjs').StackCredentials} credentials minted for this start
 * @property {boolean} [simulator] run the pharmacy simulator (default true)
 * @property {string} [groupSuffix] appended to every consumer group and client id (separate runs on one broker)
 * @property {Record<string, Record<string, string>>} [envOverrides] per app name, e.g. a policy for a test
 * @property {Partial<Record<keyof typeof DEFAULT_PORTS, string>>} [hosts] where each app is reached
 *   (default 127.0.0.1; docker-compose.yml's setup passes the compose service names)
 * @property {string} [listenHost] the address the apps listen on (default 127.0.0.1)
 * @property {string} [seedFile] the sandbox's seed (default SANDBOX_SEED_FILE, relative to the root)
 */

/** @param {StackOptions} o @returns {StackApp[]} */
export function stackApps(o) {
  const ports = o.ports ?? DEFAULT_PORTS;
  const c = o.credentials;
  const listenHost = o.listenHost ?? '127.0.0.1';
  /** @param {keyof typeof DEFAULT_PORTS} app */
  const url = (app) => `http://${o.hosts?.[app] ?? '127.0.0.1'}:${ports[app]}`;
  const suffix = o.groupSuffix ?? '';
  const groups = stackGroups(suffix);
  const sandboxApi = `${url('sandbox')}/v1/external-pharmacy-api-v1`;
  /**
   * The sandbox as RxScale, for the services that call it (order, inventory; shipping makes no RxScale
   * call). The group key lists its pharmacies: inventory's SKU sync at start works on the listed ones (an
   * unlisted group key leaves it nothing to sync until an article exists, so nothing maps or pushes).
   */
  const rxscale = {
    RXSCALE_SOURCES: JSON.stringify({
      default: {
        baseUrl: sandboxApi,
        apiKey: SANDBOX_DEMO_GROUP_KEY,
        scope: 'group',
        pharmacies: seedPharmacies(o.seedFile ?? SANDBOX_SEED_FILE),
      },
    }),
  };
  /** Every service's shared env: where it listens, its tokens' hashes, its consumer group. */
  const service = (
    /** @type {string} */ svc,
    /** @type {number} */ port,
    /** @type {object[]} */ tokens,
  ) => ({
    HTTP_PORT: String(port),
    HTTP_HOST: listenHost,
    HTTP_API_TOKENS: JSON.stringify(tokens),
    HTTP_SHUTDOWN_DELAY_MS: '0',
    KAFKA_GROUP_ID: groups[/** @type {'order' | 'inventory' | 'shipping'} */ (svc)],
    ...(suffix ? { KAFKA_CLIENT_ID: `rxbridge-${svc}-service${suffix}` } : {}),
  });
  const pms = [c.entries.simulator, c.entries.developer];
  /** @type {StackApp[]} */
  const list = [
    {
      // RxScale in a box, with the invented demo chain (apps/rxscale-sandbox/README.md); demo keys only.
      name: 'sandbox',
      dir: 'apps/rxscale-sandbox',
      entry: 'dist/main.js',
      url: url('sandbox'),
      env: {
        SANDBOX_PORT: String(ports.sandbox),
        SANDBOX_HOST: listenHost,
        SANDBOX_SEED: 'seed/demo-chain.json',
        SANDBOX_RATE_LIMIT: 'on',
      },
      ready: '/_admin/state',
    },
    {
      name: 'gateway',
      dir: 'apps/gateway',
      entry: 'dist/main.js',
      url: url('gateway'),
      env: { HTTP_PORT: String(ports.gateway), HTTP_HOST: listenHost },
      ready: '/health/ready',
      prepares: ['GATEWAY_WEBHOOK_SECRETS'],
      prepare: () =>
        subscribeGatewayAtSandbox({
          root,
          sandboxUrl: url('sandbox'),
          gatewayWebhookUrl: `${url('gateway')}/webhooks/rxscale`,
          seedFile: o.seedFile ?? SANDBOX_SEED_FILE,
        }),
    },
    {
      name: 'order-service',
      dir: 'apps/order-service',
      entry: 'dist/main.js',
      url: url('order'),
      env: {
        ...service('order', ports.order, [...pms, c.entries.shippingToOrder]),
        ...rxscale,
        PATIENT_DATA_KEYS: c.patientDataKeys,
        PATIENT_DATA_ACTIVE_KEY: c.patientDataActiveKey,
      },
      ready: '/health/ready',
    },
    {
      name: 'inventory-service',
      dir: 'apps/inventory-service',
      entry: 'dist/main.js',
      url: url('inventory'),
      env: { ...service('inventory', ports.inventory, pms), ...rxscale },
      ready: '/health/ready',
    },
    {
      name: 'shipping-service',
      dir: 'apps/shipping-service',
      entry: 'dist/main.js',
      url: url('shipping'),
      env: {
        ...service('shipping', ports.shipping, pms),
        PATIENT_DATA_KEYS: c.patientDataKeys,
        PATIENT_DATA_ACTIVE_KEY: c.patientDataActiveKey,
        ORDER_SERVICE_URL: url('order'),
        ORDER_SERVICE_TOKEN: c.tokens.shippingToOrder,
      },
      ready: '/health/ready',
    },
  ];
  if (o.simulator !== false)
    list.push({
      name: 'simulator',
      dir: 'tools/simulator',
      entry: 'main.mjs',
      url: '(no HTTP; plays the PMS and shipping desk)',
      env: {
        SIMULATOR_TOKEN: c.tokens.simulator,
        ORDER_SERVICE_URL: url('order'),
        INVENTORY_SERVICE_URL: url('inventory'),
        SHIPPING_SERVICE_URL: url('shipping'),
        SIMULATOR_SEED: o.seedFile ?? SANDBOX_SEED_FILE,
      },
    });
  for (const app of list) Object.assign(app.env, o.envOverrides?.[app.name] ?? {});
  return list;
}
