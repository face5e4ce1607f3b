/**
 * order-service as it runs, for the integration specs: the app built by createOrderServiceApp against the real
 * broker, a schema of its own and an in-process sandbox over HTTP. RxScale's webhooks reach Kafka the way the
 * gateway puts them there: a small receiver builds the CloudEvent with the gateway's own function
 * (`buildRxScaleEvent`) and produces it keyed by the order uid.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  allTopics,
  buildEvent,
  buildRxScaleEvent,
  eventRoute,
  EventSources,
  Topics,
  type PharmacyEventData,
  type PharmacyEventType,
} from '@rxbridge/contracts';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { createLogger, mintApiToken, provisionTopics, type ApiScope } from '@rxbridge/service-kit';
import {
  brokers,
  createTopics,
  deleteTopics,
  INVENTED_PATIENT,
  kafkaClient,
  requestJson,
  startGroupAtEnd,
  uniqueSuffix,
  waitFor,
  type JsonAnswer,
} from '@rxbridge/testing';
import { type Producer } from 'kafkajs';
import { loadOrderServiceConfig } from '../../src/config/order-service-config.js';
import {
  createOrderServiceApp,
  ORDER_SERVICE_TOPICS,
  type OrderServiceApp,
} from '../../src/order-service-app.js';
import { sandboxAdmin } from './order-test-kit.js';

const PERMISSIONS = [
  'orders_read',
  'orders_write',
  'stock_read',
  'stock_write',
  'pharmacy_sku_write',
  'webhooks_read',
  'webhooks_write',
];

export interface HarnessPharmacy {
  uid: string;
  apiKey: string;
  pharmacySkuUid: string;
}

export const TOKEN_SCOPES = {
  pms: ['orders:read', 'orders:write'],
  patient: ['orders:read', 'orders:patient-data'],
  prescription: ['orders:prescription'],
  shipping: ['orders:delivery-address'],
  operator: ['operator'],
  stock: ['stock:read'],
} satisfies Record<string, ApiScope[]>;
export type TokenName = keyof typeof TOKEN_SCOPES;

export interface Harness {
  sb: RunningSandbox;
  service: OrderServiceApp;
  url: string;
  schema: string;
  /** The service's consumer group (its dead letters are on `<group>.dlq`). */
  group: string;
  /** A: single-pharmacy key, on-hold policy; B: a second key (source), cancel policy. */
  a: HarnessPharmacy;
  b: HarnessPharmacy;
  logs: string[];
  tokens: Record<TokenName, string>;
  /** Every CloudEvent the receiver produced, by order uid. */
  webhooks: Map<string, { key: string; value: string }[]>;
  publish<T extends PharmacyEventType>(type: T, data: PharmacyEventData<T>): Promise<void>;
  produceRaw(topic: string, key: string, value: string): Promise<void>;
  api<T = unknown>(
    method: string,
    path: string,
    options?: { token?: TokenName | null; body?: unknown; idempotencyKey?: string | null },
  ): Promise<JsonAnswer<T>>;
  newOrder(pharmacy: HarnessPharmacy, uid?: string): Promise<string>;
  close(): Promise<void>;
}

async function pharmacyAt(sb: RunningSandbox, uid: string): Promise<HarnessPharmacy> {
  await sandboxAdmin(sb, 'POST', '/pharmacies', { uid, display_name: `Apotheke ${uid}` });
  const { key } = await sandboxAdmin<{ key: string }>(sb, 'POST', '/api-keys', {
    name: `key-${uid}`,
    pharmacy_uid: uid,
    permissions: PERMISSIONS,
  });
  await sandboxAdmin(sb, 'POST', '/skus', {
    uid: `sku-${uid}`,
    display_name: 'Testpräparat',
    pzn: '12345678',
  });
  const psku = await sandboxAdmin<{ uid: string }>(sb, 'POST', '/pharmacy-skus', {
    uid: `psku-${uid}`,
    pharmacy_uid: uid,
    sku_uid: `sku-${uid}`,
    price: 1299,
    stock: 100_000,
  });
  return { uid, apiKey: key, pharmacySkuUid: psku.uid };
}

export async function startHarness(): Promise<Harness> {
  const id = uniqueSuffix();
  const kafka = kafkaClient(`order-service-test-${id}`);
  const group = `order-service-test-${id}`;
  const admin = kafka.admin();
  await admin.connect();
  // The catalog's topics are shared with every suite on the broker: created with the catalog's settings if
  // missing, never deleted (another suite may be using them). This run's group starts at their end, so it
  // reads no earlier run's records (the service keeps its default `fromBeginning`: a partition whose committed
  // offset were out of range is then read from its start rather than past this run's records). Records other
  // suites produce meanwhile still arrive (docs/design.md "One broker for every suite").
  const catalog = new Set<string>([...ORDER_SERVICE_TOPICS, Topics.pharmacyOrders.name]);
  // On an empty broker the leader wait right after creating a topic can meet "does not host this
  // topic-partition" (kafkajs's wait retries only "leader not available"): the step runs again (it creates
  // only what is missing).
  const ensureTopics = async (): Promise<void> => {
    await provisionTopics(
      admin,
      allTopics().filter((t) => catalog.has(t.name)),
    );
    await createTopics(admin, [{ name: `${group}.dlq` }]);
  };
  try {
    await waitFor(
      async () => {
        await ensureTopics();
        return true;
      },
      'the catalog topics and the dead-letter topic',
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await startGroupAtEnd(kafka, group, ORDER_SERVICE_TOPICS);
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
  const producer: Producer = kafka.producer();
  await producer.connect();

  const sb = await startSandbox({
    rateLimit: false,
    webhooks: { baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000, maxAttempts: 4 },
  });
  const a = await pharmacyAt(sb, `ph-ord-a-${id}`);
  const b = await pharmacyAt(sb, `ph-ord-b-${id}`);

  const webhooks = new Map<string, { key: string; value: string }[]>();
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const built = buildRxScaleEvent({
        rawBody: Buffer.concat(chunks),
        receivedAt: new Date(),
        source: 'sandbox',
      });
      if (!built.ok) {
        res.writeHead(400).end();
        return;
      }
      const message = { key: built.key, value: JSON.stringify(built.event) };
      producer
        .send({ topic: built.topic, acks: -1, messages: [message] })
        .then(() => {
          webhooks.set(built.key, [...(webhooks.get(built.key) ?? []), message]);
          res.writeHead(200).end();
        })
        .catch(() => res.writeHead(503).end());
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/rxscale/default`;
  for (const p of [a, b])
    for (const type of ['pharmacy_order_created', 'pharmacy_order_updated']) {
      const res = await fetch(`${sb.apiUrl()}/webhooks/`, {
        method: 'POST',
        headers: { 'x-api-key': p.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ target, notification_type: type }),
      });
      if (res.status !== 201) throw new Error(`webhook subscription answered ${res.status}`);
    }

  const minted = Object.fromEntries(
    Object.entries(TOKEN_SCOPES).map(([name, scopes]) => [name, mintApiToken(`test-${name}`, scopes)]),
  ) as Record<TokenName, ReturnType<typeof mintApiToken>>;
  const config = loadOrderServiceConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_CLIENT_ID: group,
    HTTP_PORT: '3001',
    HTTP_HOST: '127.0.0.1',
    HTTP_SHUTDOWN_DELAY_MS: '0',
    HTTP_API_TOKENS: JSON.stringify(Object.values(minted).map((m) => m.entry)),
    LOG_LEVEL: 'debug',
    RXSCALE_SOURCES: JSON.stringify({
      first: { baseUrl: sb.apiUrl(), apiKey: a.apiKey, scope: 'pharmacy', pharmacies: [a.uid] },
      second: { baseUrl: sb.apiUrl(), apiKey: b.apiKey, scope: 'pharmacy', pharmacies: [b.uid] },
    }),
    PATIENT_DATA_KEYS: JSON.stringify({ 'pd-test': randomBytes(32).toString('base64') }),
    KAFKA_GROUP_ID: group,
    ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY: JSON.stringify({ [b.uid]: 'cancel' }),
  });
  const logs: string[] = [];
  const logger = createLogger({
    service: 'order-service',
    level: 'debug',
    destination: { write: (line: string) => void logs.push(line) },
  });
  const schema = `orders_t_${id.replace(/[^a-z0-9]/g, '').slice(0, 20)}`;
  const service = await createOrderServiceApp(config, logger, {
    schema,
    startJobs: false,
    rateLimits: { perSecond: 1000, perMinute: 60_000 },
    rxscaleTimeoutMs: 700,
    rxscaleRetry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50 },
    maxWaitTimeMs: 100,
    relayPollIntervalMs: 100,
    commandBackoff: { initialMs: 50, maxMs: 200 },
  });
  await service.app.listen(0, '127.0.0.1');
  // startAllMicroservices returns before the consumer's first join: wait for it here, so the first test does
  // not spend its own wait on it and a slow join fails here, named
  await waitFor(
    async () => {
      const [g] = (await admin.describeGroups([group])).groups;
      return g?.state === 'Stable' && g.members.length === 1;
    },
    `order-service's consumer in group ${group}`,
    { timeoutMs: 60_000 },
  );
  const url = (await service.app.getUrl()).replace('[::1]', '127.0.0.1');
  const tokens = Object.fromEntries(Object.entries(minted).map(([n, m]) => [n, m.token])) as Record<
    TokenName,
    string
  >;
  let seq = 0;

  return {
    sb,
    service,
    url,
    schema,
    group,
    a,
    b,
    logs,
    tokens,
    webhooks,
    async publish(type, data) {
      const event = buildEvent(type, data, { source: EventSources.inventoryService });
      const { topic, key } = eventRoute(event);
      await producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(event) }] });
    },
    async produceRaw(topic, key, value) {
      await producer.send({ topic, acks: -1, messages: [{ key, value }] });
    },
    api(method, path, options = {}) {
      const token = options.token === undefined ? 'pms' : options.token;
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${tokens[token]}`;
      if (method !== 'GET' && options.idempotencyKey !== null)
        headers['idempotency-key'] = options.idempotencyKey ?? `k-${id}-${++seq}`;
      return requestJson(`${url}${path}`, { method, headers, body: options.body });
    },
    async newOrder(pharmacy, uid = `po-${id}-${++seq}`) {
      await sandboxAdmin(sb, 'POST', '/orders', {
        uid,
        pharmacy_uid: pharmacy.uid,
        items: [{ pharmacy_sku_uid: pharmacy.pharmacySkuUid, amount: 1 }],
        patient: {
          first_name: INVENTED_PATIENT.firstName,
          last_name: INVENTED_PATIENT.lastName,
          email: INVENTED_PATIENT.email,
          date_of_birth: INVENTED_PATIENT.dateOfBirth,
        },
        delivery_address: {
          street: INVENTED_PATIENT.address.street,
          house_number: INVENTED_PATIENT.address.houseNumber,
          zip_code: INVENTED_PATIENT.address.zipCode,
          city: INVENTED_PATIENT.address.city,
        },
      });
      return uid;
    },
    async close() {
      await service.app.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await sb.close();
      await producer.disconnect();
      await admin.deleteGroups([group]).catch(() => undefined);
      await deleteTopics(admin, [`${group}.dlq`]).catch(() => undefined);
      await admin.disconnect();
      const { Client } = (await import('pg')).default;
      // the service's own default when DATABASE_URL is unset (pg alone would fall back to the OS user)
      const pg = new Client({ connectionString: config.database.url });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.end();
    },
  };
}
