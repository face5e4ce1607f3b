import { createHmac } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IHeaders } from 'kafkajs';
import { Topics } from '@rxbridge/contracts';
import { createLogger, topicConfigEntries, type ServiceLogger } from '@rxbridge/service-kit';
import {
  brokers,
  createTopics,
  deleteGroups,
  deleteTopics as deleteNamedTopics,
  INVENTED_PATIENT,
  kafkaClient,
  rxscaleAddress,
  uniqueSuffix,
} from '@rxbridge/testing';
import { loadGatewayConfig, type GatewayConfig } from '../../src/config/gateway-config.js';
import { createGatewayApp } from '../../src/gateway-app.js';
import type { WebhookProducer } from '../../src/kafka/kafka-ingest.producer.js';

/** The tests' brokers as the gateway's KAFKA_BROKERS takes them. */
export const sharedBrokers = brokers.join(',');

export const secrets = {
  ordersNew: 'whsec_test_orders_new_0001',
  ordersOld: 'whsec_test_orders_old_0001',
  updated: 'whsec_test_updated_00000001',
  skus: 'whsec_test_skus_0000000001',
  pharmacyB: 'whsec_test_pharmacy_b_0001',
} as const;

export const webhookSecretsEnv = JSON.stringify({
  default: {
    pharmacy_order_created: [secrets.ordersNew, secrets.ordersOld],
    pharmacy_order_updated: [secrets.updated],
    pharmacy_sku_stock_updated: [secrets.skus],
  },
  'pharmacy-b': { pharmacy_order_created: [secrets.pharmacyB] },
});

export interface TestTopics {
  pharmacyOrders: string;
  pharmacySkus: string;
  unrecognized: string;
}

export function kafkaAdmin(brokerList: string) {
  return kafkaClient('gateway-test', brokerList.split(',')).admin();
}

export async function createTestTopics(brokerList: string): Promise<TestTopics> {
  const s = uniqueSuffix();
  const topics = {
    pharmacyOrders: `test.gateway.${s}.rxscale.pharmacy-orders.v1`,
    pharmacySkus: `test.gateway.${s}.rxscale.pharmacy-skus.v1`,
    unrecognized: `test.gateway.${s}.rxscale.unrecognized.v1`,
  };
  const admin = kafkaAdmin(brokerList);
  await admin.connect();
  try {
    // The catalog's settings (record size limit included), under test names.
    await createTopics(admin, [
      {
        name: topics.pharmacyOrders,
        partitions: 3,
        configEntries: topicConfigEntries(Topics.rxscalePharmacyOrders),
      },
      {
        name: topics.pharmacySkus,
        partitions: 3,
        configEntries: topicConfigEntries(Topics.rxscalePharmacySkus),
      },
      {
        name: topics.unrecognized,
        partitions: 1,
        configEntries: topicConfigEntries(Topics.rxscaleUnrecognized),
      },
    ]);
  } finally {
    await admin.disconnect();
  }
  return topics;
}

export async function deleteTopics(brokerList: string, topics: TestTopics): Promise<void> {
  const admin = kafkaAdmin(brokerList);
  await admin.connect();
  try {
    await deleteNamedTopics(admin, Object.values<string>({ ...topics }));
  } finally {
    await admin.disconnect();
  }
}

/** Sum of every partition's end offset per topic: equal before and after means nothing was produced. */
export async function endOffsets(brokerList: string, topics: TestTopics): Promise<Record<string, number>> {
  const admin = kafkaAdmin(brokerList);
  await admin.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of Object.values<string>({ ...topics })) {
      const parts = await admin.fetchTopicOffsets(t);
      out[t] = parts.reduce((n, p) => n + Number(p.high), 0);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export interface ReadRecord {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
}

/** Every record on the topic, read from the beginning up to the end offsets taken now. */
export async function readTopic(brokerList: string, topic: string): Promise<ReadRecord[]> {
  const kafka = kafkaClient('gateway-test-reader', brokerList.split(','));
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  if (total === 0) {
    await admin.disconnect();
    return [];
  }
  const groupId = `gateway-test-reader-${uniqueSuffix()}`;
  const consumer = kafka.consumer({ groupId });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${total} records of ${topic}`)),
        30_000,
      );
      void consumer.run({
        eachMessage: ({ message, partition }) => {
          if (Number(message.offset) < (ends.get(partition) ?? 0)) {
            records.push({
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? '',
              headers: headersOf(message.headers),
              partition,
            });
          }
          if (records.length >= total) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
    await deleteGroups(admin, [groupId]);
    await admin.disconnect();
  }
  return records;
}

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/** The gateway on a free port; `producer` replaces its Kafka producers (tests that need no broker). */
export async function startGateway(
  brokerList: string,
  topics: TestTopics,
  env: Record<string, string> = {},
  logger: ServiceLogger = createLogger({ service: 'gateway-test', level: 'silent' }),
  producer?: WebhookProducer,
): Promise<{ app: NestFastifyApplication; url: string; config: GatewayConfig }> {
  const config = {
    ...loadGatewayConfig({
      KAFKA_BROKERS: brokerList,
      HTTP_PORT: '0',
      GATEWAY_WEBHOOK_SECRETS: webhookSecretsEnv,
      ...env,
    }),
    topics,
  };
  const app = await createGatewayApp(config, logger, producer);
  await app.listen(config.http.port, '127.0.0.1');
  const url = await app.getUrl();
  return { app, url: url.replace('[::1]', '127.0.0.1'), config };
}

export function sign(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

let counter = 0;

/** A pharmacy_order_created / _updated envelope for an invented patient. */
export function orderEnvelope(
  eventType = 'pharmacy_order_created',
  uid = `po-${uniqueSuffix()}-${++counter}`,
): string {
  return JSON.stringify({
    event_type: eventType,
    timestamp: Math.floor(Date.now() / 1000),
    payload_version: '1',
    data: {
      uid,
      status: 'waiting for pharmacy',
      name: `PO-TEST-${counter}`,
      data: {},
      created_at: 1736330000,
      updated_at: 1736330950,
      deleted_at: null,
      pharmacy: { uid: 'ph-test01', display_name: 'Testapotheke Beispielweg' },
      order: {
        uid: `ord-${uid}`,
        delivery_address: rxscaleAddress(INVENTED_PATIENT),
      },
      order_items: [{ uid: 'oi-1', amount: 1, sku: { pzn: '00000001' } }],
    },
  });
}

export function skuEnvelope(uid = `psku-${uniqueSuffix()}`): string {
  return JSON.stringify({
    event_type: 'pharmacy_sku_stock_updated',
    timestamp: Math.floor(Date.now() / 1000),
    payload_version: '1',
    data: { uid, external_id: 'ART-1', price: 1299, stock: 7 },
  });
}

export async function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
  path = '/webhooks/rxscale',
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export function signedHeaders(
  body: string | Buffer,
  eventType: string,
  secret: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-webhook-event': eventType,
    'x-webhook-signature': sign(body, secret),
  };
}
