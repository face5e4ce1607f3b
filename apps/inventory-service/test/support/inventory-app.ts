// inventory-service as it runs, for the integration specs: created through createInventoryServiceApp, in a
// schema and consumer group of its own, against the real broker, database and a sandbox over HTTP.
import { randomBytes, randomUUID } from 'node:crypto';
import { buildEvent, eventRoute, EventSources, Topics } from '@rxbridge/contracts';
import { type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { createLogger, mintApiToken, type ServiceLogger } from '@rxbridge/service-kit';
import { brokers, createTopics, databaseUrl, kafkaClient, startGroupAtEnd } from '@rxbridge/testing';
import { type Producer } from 'kafkajs';
import { loadInventoryServiceConfig } from '../../src/config/inventory-service-config.js';
import { createInventoryServiceApp, type InventoryServiceApp } from '../../src/inventory-service-app.js';

export const TOKENS = {
  writer: mintApiToken('pms', ['stock:write', 'stock:read']),
  reader: mintApiToken('reader', ['stock:read']),
  operator: mintApiToken('operator', ['operator']),
};

export interface RunningInventory extends InventoryServiceApp {
  url: string;
  schema: string;
  close(): Promise<void>;
}

export interface InventoryAppOptions {
  sandbox: RunningSandbox;
  /** pharmacy uid → its sandbox API key (one source per pharmacy) */
  keys: Record<string, string>;
  /** Reuse a schema (a second replica, a restart); default a new one. */
  schema?: string;
  groupId?: string;
  env?: Record<string, string>;
  startJobs?: boolean;
  logger?: ServiceLogger;
}

export function newSchema(): string {
  return `inventory_a_${randomBytes(5).toString('hex')}`;
}

/**
 * The consumed and produced topics exist, with the catalog's partitions (6: two replicas both get work).
 * They are the catalog's own names on the shared broker, so any other count would be a mismatch for every
 * suite that provisions the catalog after this one (the CLI's `topics provision` reports it and exits 1).
 */
export async function ensureTopics(): Promise<void> {
  const admin = kafkaClient('inventory-test-admin').admin();
  await admin.connect();
  try {
    await createTopics(
      admin,
      [Topics.pharmacyOrders, Topics.rxscalePharmacySkus, Topics.pharmacyInventory].map((t) => ({
        name: t.name,
        partitions: t.partitions,
      })),
    );
  } finally {
    await admin.disconnect();
  }
}

export async function startInventory(options: InventoryAppOptions): Promise<RunningInventory> {
  const schema = options.schema ?? newSchema();
  const groupId = options.groupId ?? `inventory-test-${schema}`;
  const kafkaAdmin = kafkaClient('inventory-test-admin').admin();
  await kafkaAdmin.connect();
  await createTopics(kafkaAdmin, [{ name: `${groupId}.dlq` }]).finally(() => kafkaAdmin.disconnect());
  // A group of its own starts at the topics' end: on a broker that earlier runs left a backlog on, it would
  // otherwise read all of it first (the service's default is from the beginning). A given group is shared by
  // replicas; the caller decides where it starts.
  if (options.groupId === undefined)
    await startGroupAtEnd(kafkaClient(`${groupId}-start`), groupId, [
      Topics.pharmacyOrders.name,
      Topics.rxscalePharmacySkus.name,
    ]);
  const sources = Object.fromEntries(
    Object.entries(options.keys).map(([pharmacy, apiKey]) => [
      `src-${pharmacy}`
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, '-')
        .slice(0, 60),
      { baseUrl: options.sandbox.url, apiKey, scope: 'pharmacy', pharmacies: [pharmacy] },
    ]),
  );
  const config = loadInventoryServiceConfig({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_GROUP_ID: groupId,
    HTTP_API_TOKENS: JSON.stringify(Object.values(TOKENS).map((t) => t.entry)),
    HTTP_SHUTDOWN_DELAY_MS: '0',
    RXSCALE_SOURCES: JSON.stringify(sources),
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const built = await createInventoryServiceApp(
    config,
    options.logger ??
      createLogger({
        service: 'inventory-test',
        // INVENTORY_TEST_LOG=debug shows the service's log while debugging a spec
        level: (process.env.INVENTORY_TEST_LOG as 'debug' | undefined) ?? 'silent',
      }),
    {
      schema,
      startJobs: options.startJobs ?? true,
    },
  );
  await built.app.startAllMicroservices();
  await built.app.listen(0, '127.0.0.1');
  const url = (await built.app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    ...built,
    url,
    schema,
    async close() {
      await built.app.close();
    },
  };
}

export async function dropSchema(app: RunningInventory): Promise<void> {
  const { Client } = (await import('pg')).default;
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${app.schema}" CASCADE`);
  await c.end();
}

/** The fields the specs read of an answer (JSON as sent; absent fields are undefined). */
export interface AnswerBody {
  items: { article_id: string; on_hand: number; [field: string]: unknown }[];
  rejected: { line: number; code: string; message: string }[];
  error: { code: string; message: string };
  on_hand: number;
  reserved: number;
  [field: string]: unknown;
}

export interface Answer {
  status: number;
  body: AnswerBody;
}

export function call(
  app: { url: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; csv?: string | Buffer; key?: string | false } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== false && method !== 'GET') headers['idempotency-key'] = options.key ?? randomUUID();
  let body: string | Buffer | undefined;
  if (options.csv !== undefined) {
    headers['content-type'] = 'text/csv';
    body = options.csv;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  return fetch(`${app.url}${path}`, { method, headers, body }).then(async (res) => {
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as AnswerBody };
  });
}

/** Publishes pharmacy.* events as order-service's outbox would (key = the order uid). */
export async function orderProducer(): Promise<Producer> {
  const producer = kafkaClient('inventory-test-orders').producer();
  await producer.connect();
  return producer;
}

/** One pharmacy.* event onto its topic, keyed as the contracts route it. */
export async function publish(
  producer: Producer,
  type: 'pharmacy.order.received' | 'pharmacy.order.cancelled' | 'pharmacy.order.completed',
  data: unknown,
): Promise<void> {
  const event = buildEvent(type, data as never, { source: EventSources.orderService });
  const route = eventRoute(event);
  await producer.send({ topic: route.topic, messages: [{ key: route.key, value: JSON.stringify(event) }] });
}
