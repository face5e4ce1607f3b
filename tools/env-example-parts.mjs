// @ts-check
// The parts of RxBridge whose environment `.env.example` lists (tools/generate-env-example.mjs), each from
// the config schema that reads it. A new config section is one more line in `serviceSections`.
// The gateway and the sandbox are imported from their build output by path: they depend on this package for
// their tests, so it cannot depend on them (turbo.json builds them before this package's tests).
import { GatewayConfigSchema } from '../apps/gateway/dist/index.js';
import { SandboxEnv } from '../apps/rxscale-sandbox/dist/index.js';
import { InventoryServiceConfigSchema, InventoryServiceEnv } from '../apps/inventory-service/dist/index.js';
import { OrderServiceConfigSchema, OrderServiceEnv } from '../apps/order-service/dist/index.js';
import {
  orderServiceLinkConfig,
  shippingConfig,
  ShippingServiceConfig,
} from '../apps/shipping-service/dist/index.js';
import {
  configSchema,
  documentedEnv,
  databaseConfig,
  httpEdgeConfig,
  kafkaConfig,
  kafkaConsumerGroupConfig,
  logConfig,
  patientDataCryptoConfig,
  rxscaleSourcesConfig,
} from '@rxbridge/service-kit';

/** What every service (order, inventory, shipping) reads through service-kit. */
export const serviceSections = {
  kafka: kafkaConfig('<service name>'),
  consumerGroup: kafkaConsumerGroupConfig(
    '<the catalog group: order-service, inventory-service, shipping-service>',
  ),
  database: databaseConfig(),
  http: httpEdgeConfig(8080),
  log: logConfig(),
  rxscale: rxscaleSourcesConfig(),
  patientData: patientDataCryptoConfig(),
};

/**
 * The local stack's scripts (tools/kafka, tools/postgres, tools/cli.mjs) read these directly: plain .mjs without
 * a config schema, so their documentation is kept here, beside the list.
 * @type {import('@rxbridge/service-kit').DocumentedEnvVar[]}
 */
const stackVariables = [
  {
    name: 'DATABASE_URL',
    required: false,
    description: 'PostgreSQL; when unset and nothing answers on 5432, an embedded PostgreSQL is started',
    default: 'postgres://postgres@127.0.0.1:5432/rxbridge',
  },
  {
    name: 'KAFKA_BROKERS',
    required: false,
    description: 'Brokers of an existing cluster, comma-separated; set: no local broker is started',
    default: '(unset: start the local broker)',
  },
  { name: 'RXBRIDGE_KAFKA_PORT', required: false, description: 'Port of the local broker', default: '9092' },
  {
    name: 'RXBRIDGE_KAFKA_CONTROLLER_PORT',
    required: false,
    description: "Port of the local broker's KRaft controller",
    default: '(RXBRIDGE_KAFKA_PORT + 1)',
  },
  {
    name: 'RXBRIDGE_KAFKA_HEAP',
    required: false,
    description: 'JVM heap of the local broker',
    default: '512m',
  },
  {
    name: 'RXBRIDGE_KAFKA_START_TIMEOUT_MS',
    required: false,
    description: 'How long the local broker may take to start',
    default: '90000',
  },
  {
    name: 'RXBRIDGE_KAFKA_HOME',
    required: false,
    description: 'Folder of the broker tooling',
    default: '(tools/kafka)',
  },
  {
    name: 'RXBRIDGE_KAFKA_CACHE',
    required: false,
    description: 'Where the broker jars fetched from Maven Central are kept',
    default: '(tools/kafka/.cache)',
  },
  {
    name: 'RXBRIDGE_KAFKA_DATA',
    required: false,
    description: "The local broker's data and log folder",
    default: '(tools/kafka/.data)',
  },
  {
    name: 'RXBRIDGE_POSTGRES_PROBE_PORT',
    required: false,
    description: 'Port probed for a running PostgreSQL when DATABASE_URL is unset',
    default: '5432',
  },
  {
    name: 'RXBRIDGE_POSTGRES_EMBEDDED_PORT',
    required: false,
    description: 'Port of the embedded PostgreSQL',
    default: '54329',
  },
  {
    name: 'RXBRIDGE_POSTGRES_DATA',
    required: false,
    description: "The embedded PostgreSQL's data folder",
    default: '(tools/postgres/.data, or the system temp folder as root)',
  },
  {
    name: 'RXBRIDGE_SIMULATOR',
    required: false,
    description:
      'on/off: npm start runs the pharmacy simulator (npm start -- --no-simulator is the same as off)',
    default: 'on',
  },
  {
    name: 'RXBRIDGE_STACK_PORT_OFFSET',
    required: false,
    description:
      'Added to every port npm start uses (sandbox 4010, gateway 3000, services 3001-3003): a second stack on one machine',
    default: '0',
  },
  {
    name: 'RXBRIDGE_STACK_GROUP_SUFFIX',
    required: false,
    description: "Appended to the services' consumer groups and client ids: a second stack on one broker",
    default: '(none)',
  },
  {
    name: 'RXBRIDGE_STACK_CREDENTIALS_FILE',
    required: false,
    description: "Where npm start writes this run's API tokens (mode 0600; minted at every start)",
    default: '(tools/.cache/stack-credentials.json)',
  },
];

/**
 * The pharmacy simulator (tools/simulator/main.mjs), plain .mjs like the stack scripts; npm start sets the
 * token and the URLs.
 * @type {import('@rxbridge/service-kit').DocumentedEnvVar[]}
 */
const simulatorVariables = [
  {
    name: 'SIMULATOR_TOKEN',
    required: true,
    description:
      'Bearer token with orders:read, orders:write, stock:read, stock:write, shipments:read, shipments:write',
    default: '(minted by npm start)',
  },
  {
    name: 'ORDER_SERVICE_URL',
    required: false,
    description: "order-service's REST API",
    default: 'http://127.0.0.1:3001',
  },
  {
    name: 'INVENTORY_SERVICE_URL',
    required: false,
    description: "inventory-service's REST API",
    default: 'http://127.0.0.1:3002',
  },
  {
    name: 'SHIPPING_SERVICE_URL',
    required: false,
    description: "shipping-service's REST API",
    default: 'http://127.0.0.1:3003',
  },
  {
    name: 'SIMULATOR_SEED',
    required: false,
    description: "The sandbox seed whose pharmacies' stock levels are sent at start",
    default: 'apps/rxscale-sandbox/seed/demo-chain.json',
  },
  {
    name: 'SIMULATOR_PACK_DELAY_MS',
    required: false,
    description: 'How long an order in progress waits before the simulator marks it packed',
    default: '2000',
  },
  {
    name: 'SIMULATOR_POLL_MS',
    required: false,
    description: 'How often the simulator reads the orders in progress and the expected shipments',
    default: '1000',
  },
  {
    name: 'SIMULATOR_CARRIER',
    required: false,
    description: 'Carrier of the demo shipments',
    default: 'DHL',
  },
];

/**
 * The operations CLI (packages/cli, `npx rxbridge`) reads the services' own variables through the kit, the
 * services' URLs above, and these.
 * @type {import('@rxbridge/service-kit').DocumentedEnvVar[]}
 */
const cliVariables = [
  {
    name: 'GATEWAY_URL',
    required: false,
    description: 'The gateway, for `rxbridge health`',
    default: 'http://127.0.0.1:3000',
  },
  {
    name: 'RXBRIDGE_API_TOKEN',
    required: false,
    description:
      'An operator token for the commands that go through the services (skus sync, stock push, orders …)',
    default: '(none)',
  },
];

/** @type {import('@rxbridge/service-kit').EnvExamplePart[]} */
export const envExampleParts = [
  {
    title: 'Local stack (npm start, npm test)',
    note: 'tools/: Kafka from Maven Central, PostgreSQL',
    variables: stackVariables,
  },
  {
    title: 'Pharmacy simulator (tools/simulator, run by npm start)',
    note: 'plays the PMS and the shipping desk through the REST APIs',
    variables: simulatorVariables,
  },
  {
    title: 'Operations CLI (packages/cli, npx rxbridge)',
    note: "also the services' URLs above and their own variables",
    variables: cliVariables,
  },
  { title: 'RxScale sandbox (apps/rxscale-sandbox)', schema: SandboxEnv },
  { title: 'Gateway (apps/gateway)', schema: GatewayConfigSchema },
  {
    title: 'Services (order, inventory, shipping): the sections of @rxbridge/service-kit',
    note: 'Each service reads these and its own; HTTP_PORT and KAFKA_CLIENT_ID are per service',
    schema: configSchema(serviceSections),
    defaults: { HTTP_PORT: '(per service)', KAFKA_CLIENT_ID: '(the service name)' },
  },
  {
    title: 'Order service (apps/order-service), its own variables',
    note: 'HTTP_PORT 3001',
    schema: configSchema({ orders: OrderServiceEnv }),
  },
  {
    title: 'Inventory service (apps/inventory-service), its own variables',
    note: 'HTTP_PORT 3002; no PATIENT_DATA_* (no patient data passes through it)',
    schema: configSchema({ inventory: InventoryServiceEnv }),
  },
  {
    title: 'Shipping service (apps/shipping-service), its own variables',
    note: 'HTTP_PORT 3003; no RXSCALE_* (it makes no RxScale call)',
    schema: configSchema({ shipping: shippingConfig(), orderService: orderServiceLinkConfig() }),
  },
];

export const envExampleHeader = [
  'Every environment variable of every part of RxBridge, with its meaning and default.',
  'Generated from the config schemas by `node tools/generate-env-example.mjs`: do not edit by hand.',
  'Every line is commented out: a copy changes nothing until a line is uncommented. Each process reads only',
  "its own part's variables; secrets (keys, tokens) belong in a secret store, never in a committed file.",
];

/**
 * The variables each part `npm start` runs (tools/stack/apps.mjs, by name) reads: its whole config schema,
 * or the list above for the simulator, a plain .mjs. The deployment tests compare what each environment
 * sets against these.
 * @returns {Record<string, string[]>}
 */
export function partVariables() {
  /** @param {Parameters<typeof documentedEnv>[0]} schema */
  const names = (schema) => documentedEnv(schema).map((v) => v.name);
  return {
    sandbox: names(SandboxEnv),
    gateway: names(GatewayConfigSchema),
    'order-service': names(OrderServiceConfigSchema),
    'inventory-service': names(InventoryServiceConfigSchema),
    'shipping-service': names(ShippingServiceConfig),
    simulator: simulatorVariables.map((v) => v.name),
  };
}
