import {
  allEventContracts,
  buildEvent,
  EventSources,
  ExampleEventData,
  eventRoute,
  isPharmacyEventType,
  Topics,
  type PharmacyEventType,
  type TopicDefinition,
} from '@rxbridge/contracts';
import {
  CloudEvent,
  Kafka as CloudEventsKafka,
  type CloudEventV1,
  type KafkaMessage as CloudEventsKafkaMessage,
} from 'cloudevents';
import { type Admin, type Consumer, type KafkaMessage } from 'kafkajs';
import { enqueueEvents, OutboxRelay, silentLogger } from '../src/index.js';
import { brokers, createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import { createTestSchema, type TestSchema } from './support/plumbing-harness.js';

/** What a consumer of another team sees: the record as kafkajs hands it over, read with the CloudEvents SDK. */
function readWithSdk(message: KafkaMessage): CloudEventV1<unknown> {
  const headers = Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
  const record: CloudEventsKafkaMessage<string> = {
    key: message.key?.toString() ?? '',
    value: message.value?.toString() ?? '',
    headers,
    body: undefined,
  };
  const event = CloudEventsKafka.toEvent(record);
  if (!(event instanceof CloudEvent)) throw new Error('expected one event, got a batch');
  // The SDK's own check of the spec (attribute names and types, required attributes).
  expect(event.validate()).toBe(true);
  return event;
}

/** The event's attributes as the SDK gives them back, without the binding's own `partitionkey`. */
function attributes(event: CloudEventV1<unknown>): Record<string, unknown> {
  const { partitionkey: _key, ...rest } = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  return rest;
}

describe('records of the outbox relay read with the CloudEvents SDK', () => {
  const kafka = kafkaClient('cloudevents-interop');
  let admin: Admin;
  let db: TestSchema;
  let relay: OutboxRelay | undefined;
  let consumer: Consumer | undefined;
  const run = uniqueSuffix();
  const pharmacyTopics = (Object.values(Topics) as TopicDefinition[]).filter((t) =>
    t.name.startsWith('pharmacy.'),
  );
  // Each catalog topic under a name of this run, so parallel runs do not read each other's records.
  const testTopic = (name: string) => `test.ce.${name}.${run}`;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    db = await createTestSchema();
    await createTopics(
      admin,
      pharmacyTopics.map((t) => ({ name: testTopic(t.name), partitions: 1 })),
    );
  });
  afterAll(async () => {
    await relay?.stop();
    await consumer?.disconnect();
    await db.drop();
    await deleteTopics(
      admin,
      pharmacyTopics.map((t) => testTopic(t.name)),
    );
    await admin.deleteGroups([`cloudevents-interop-${run}`]).catch(() => undefined);
    await admin.disconnect();
  });

  it('gives back every event type of every pharmacy.* topic as it was enqueued', async () => {
    const types = allEventContracts()
      .map((c) => c.type)
      .filter(isPharmacyEventType);
    expect(new Set(types.map((t) => eventRoute(buildExample(t)).topic))).toEqual(
      new Set(pharmacyTopics.map((t) => t.name)),
    );
    const events = types.map(buildExample);
    await db.dataSource.transaction((m) =>
      enqueueEvents(
        m,
        events.map((event) => {
          const route = eventRoute(event);
          return { topic: testTopic(route.topic), key: route.key, event };
        }),
      ),
    );
    const received = new Map<string, KafkaMessage>();
    consumer = kafka.consumer({ groupId: `cloudevents-interop-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topics: pharmacyTopics.map((t) => testTopic(t.name)), fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        received.set((JSON.parse(message.value!.toString()) as { id: string }).id, message);
        return Promise.resolve();
      },
    });
    relay = new OutboxRelay({
      dataSource: db.dataSource,
      kafka: { clientId: 'ce-relay', brokers },
      logger: silentLogger,
      pollIntervalMs: 200,
    });
    await relay.start();
    await waitFor(() => received.size === events.length, `${events.length} records`);

    for (const event of events) {
      const message = received.get(event.id)!;
      expect([event.type, message.headers?.['content-type']?.toString()]).toEqual([
        event.type,
        'application/cloudevents+json',
      ]);
      expect(message.headers?.['ce_type']?.toString()).toBe(event.type);
      const read = readWithSdk(message);
      expect(attributes(read)).toEqual(JSON.parse(JSON.stringify(event)));
      expect(read.partitionkey).toBe(eventRoute(event).key);
    }
  });
});

function buildExample(type: PharmacyEventType) {
  const source = type.startsWith('pharmacy.order.')
    ? EventSources.orderService
    : type.startsWith('pharmacy.shipment.')
      ? EventSources.shippingService
      : EventSources.inventoryService;
  return buildEvent(type, ExampleEventData[type] as never, {
    source,
    time: new Date('2026-01-08T10:10:00.000Z'),
  });
}
