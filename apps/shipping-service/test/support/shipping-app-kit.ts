/**
 * shipping-service as it runs, for the integration specs: created through createShippingServiceApp on the
 * real broker and database, in a schema and consumer group of its own, with a node:http stand-in for
 * order-service's delivery-address route and a logger whose lines the test can read.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  allTopics,
  buildEvent,
  deadLetterTopic,
  EventSources,
  Topics,
  type OrderCancelled,
  type OrderReadyForPickup,
  type OrderReceived,
} from '@rxbridge/contracts';
import { createLogger, loadConfig, ManualClock, mintApiToken, provisionTopics } from '@rxbridge/service-kit';
import {
  brokers,
  createTestSchema,
  createTopics,
  databaseUrl,
  deleteTopics,
  kafkaClient,
  rxscaleAddress,
  uniqueSuffix,
  type TestSchema,
} from '@rxbridge/testing';
import { type Consumer, type Kafka, type Producer } from 'kafkajs';
import { ShippingServiceConfig } from '../../src/config/shipping-service-config.js';
import { createShippingServiceApp, type ShippingServiceApp } from '../../src/shipping-service-app.js';

export const TOKENS = {
  desk: mintApiToken('shipping-desk', ['shipments:read', 'shipments:write']),
  reader: mintApiToken('dashboard', ['shipments:read']),
  operator: mintApiToken('operator', ['operator']),
};
export const ORDER_SERVICE_TOKEN = 'rxb_test-shipping-reads-addresses';
export const PHARMACY_UID = 'ph-app-test';
/** The invented patient's address, as order-service answers it. */
export const ADDRESS = rxscaleAddress();

/** order-service's `GET /orders/{uid}/delivery-address`, as documented; `down` answers 503 until lifted. */
export class OrderServiceStandIn {
  readonly requests: string[] = [];
  down = false;
  /** Orders it answers 404 order_not_found for. */
  readonly unknown = new Set<string>();
  private readonly server: Server = createServer((req, res) => {
    const uid = decodeURIComponent(/^\/orders\/([^/]+)\/delivery-address$/.exec(req.url ?? '')?.[1] ?? '');
    this.requests.push(uid);
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${ORDER_SERVICE_TOKEN}`) return answer(401, {});
    if (this.down) return answer(503, { error: { code: 'internal', message: 'down' } });
    if (this.unknown.has(uid)) return answer(404, { error: { code: 'order_not_found', message: 'unknown' } });
    return answer(200, { address: ADDRESS });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export interface RunningShippingService extends ShippingServiceApp {
  url: string;
  schema: TestSchema;
  group: string;
  clock: ManualClock;
  lines: string[];
  orderService: OrderServiceStandIn;
  kafka: Kafka;
  producer: Producer;
  /** Records of pharmacy.shipments.v1 seen since start, by key (filter by your own order uids). */
  published: { key: string; type: string; data: Record<string, unknown> }[];
  /** Records of the group's dead-letter topic: key and `dlq-error-code`. */
  deadLetters: { key: string; code: string }[];
  publishOrderEvent(event: OrderEvent): Promise<void>;
  stop(): Promise<void>;
}

type OrderEvent = ReturnType<typeof buildEvent>;

export async function startShippingService(): Promise<RunningShippingService> {
  const id = uniqueSuffix();
  const group = `shipping-app-test-${id}`;
  const kafka = kafkaClient(group, brokers);
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(
    admin,
    allTopics().filter(
      (t) => t.name === Topics.pharmacyOrders.name || t.name === Topics.pharmacyShipments.name,
    ),
  );
  // the group's own DLQ, waiting for its leader (provisioning does not wait)
  await createTopics(admin, [{ name: deadLetterTopic(group).name, partitions: 1 }]);
  await admin.disconnect();

  // what is started so far, closed again if a later step fails (or Jest would wait on open handles)
  const undo: (() => Promise<unknown>)[] = [];
  try {
    const orderService = new OrderServiceStandIn();
    const orderServiceUrl = await orderService.start();
    undo.push(() => orderService.close());
    const schema = await createTestSchema('shipping_app', { create: false });
    undo.push(() => schema.drop());
    const lines: string[] = [];
    const logger = createLogger({
      service: 'shipping-service',
      level: 'debug',
      destination: { write: (line: string) => void lines.push(line) },
    });
    const config = loadConfig(ShippingServiceConfig, {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_CLIENT_ID: group,
      HTTP_API_TOKENS: JSON.stringify(Object.values(TOKENS).map((t) => t.entry)),
      HTTP_SHUTDOWN_DELAY_MS: '0',
      PATIENT_DATA_KEYS: JSON.stringify({ test: Buffer.alloc(32, 3).toString('base64') }),
      ORDER_SERVICE_URL: orderServiceUrl,
      ORDER_SERVICE_TOKEN,
      ORDER_SERVICE_TIMEOUT_MS: '500',
      KAFKA_GROUP_ID: group,
    });
    const clock = new ManualClock(new Date().toISOString());
    const app = await createShippingServiceApp(config, logger, {
      schema: schema.name,
      clock,
      plumbing: {
        backoff: { initialMs: 50, maxMs: 200 },
        parked: { pollIntervalMs: 200, backoff: { initialMs: 100, maxMs: 300 } },
        maxWaitTimeMs: 200,
      },
      outboxRelay: { pollIntervalMs: 200 },
    });
    undo.push(() => app.app.close());
    const url = await app.start(0, '127.0.0.1');

    const producer = kafka.producer();
    await producer.connect();
    undo.push(() => producer.disconnect());
    const published: RunningShippingService['published'] = [];
    const deadLetters: RunningShippingService['deadLetters'] = [];
    const consumer: Consumer = kafka.consumer({ groupId: `${group}-reader`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    undo.push(() => consumer.disconnect());
    await consumer.subscribe({
      topics: [Topics.pharmacyShipments.name, deadLetterTopic(group).name],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic !== Topics.pharmacyShipments.name) {
          deadLetters.push({
            key: message.key?.toString('utf8') ?? '',
            code: message.headers?.['dlq-error-code']?.toString() ?? '',
          });
          return Promise.resolve();
        }
        const value = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
          type: string;
          data: Record<string, unknown>;
        };
        published.push({ key: message.key?.toString('utf8') ?? '', type: value.type, data: value.data });
        return Promise.resolve();
      },
    });

    return {
      ...app,
      url,
      schema,
      group,
      clock,
      lines,
      orderService,
      kafka,
      producer,
      published,
      deadLetters,
      async publishOrderEvent(event) {
        await producer.send({
          topic: Topics.pharmacyOrders.name,
          messages: [
            {
              key: event.subject ?? null,
              value: JSON.stringify(event),
              headers: { 'content-type': 'application/cloudevents+json', ce_type: event.type },
            },
          ],
        });
      },
      async stop() {
        await consumer.disconnect();
        await producer.disconnect();
        await app.app.close();
        await orderService.close();
        await schema.drop();
        const cleanup = kafka.admin();
        await cleanup.connect();
        await cleanup.deleteGroups([group, `${group}-reader`]).catch(() => undefined);
        await deleteTopics(cleanup, [deadLetterTopic(group).name]);
        await cleanup.disconnect();
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

const source = { source: EventSources.orderService };

export function received(uid: string, deliveryType: string | null = 'shipping'): OrderEvent {
  const data: OrderReceived = {
    pharmacy_uid: PHARMACY_UID,
    pharmacy_order_uid: uid,
    order_uid: `ord-${uid}`,
    name: 'PO-APP-TEST',
    status: 'pending review',
    delivery_type: deliveryType,
    lines: [
      { order_item_uid: 'oi-1', sku_uid: 'sku-1', pharmacy_sku_uid: 'psku-1', pzn: '01234567', quantity: 1 },
    ],
    received_at: new Date().toISOString(),
  };
  return buildEvent('pharmacy.order.received', data, source);
}

export function ready(uid: string): OrderEvent {
  const data: OrderReadyForPickup = {
    pharmacy_uid: PHARMACY_UID,
    pharmacy_order_uid: uid,
    initiator: 'pharmacy',
    ready_at: new Date().toISOString(),
  };
  return buildEvent('pharmacy.order.ready-for-pickup', data, source);
}

export function cancelled(uid: string): OrderEvent {
  const data: OrderCancelled = {
    pharmacy_uid: PHARMACY_UID,
    pharmacy_order_uid: uid,
    previous_status: 'in-progress',
    initiator: 'rxscale',
    cancelled_at: new Date().toISOString(),
  };
  return buildEvent('pharmacy.order.cancelled', data, source);
}

let n = 0;
export function orderUid(): string {
  n += 1;
  return `po-app-${uniqueSuffix()}-${n}`;
}
