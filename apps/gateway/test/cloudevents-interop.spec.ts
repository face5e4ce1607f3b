import { allEventContracts, ExampleWebhookBodies, isPharmacyEventType } from '@rxbridge/contracts';
import {
  CloudEvent,
  Kafka as CloudEventsKafka,
  type KafkaMessage as CloudEventsKafkaMessage,
} from 'cloudevents';
import { Kafka, logLevel } from 'kafkajs';
import {
  buildWebhookEvent,
  configuredTopic,
  kafkaRecord,
  type BuiltWebhookEvent,
} from '../src/events/rxscale-cloud-event.js';
import {
  createTestTopics,
  deleteTopics,
  readTopic,
  sharedBrokers,
  type TestTopics,
} from './support/gateway-harness.js';

function built(body: string): BuiltWebhookEvent {
  const result = buildWebhookEvent({
    rawBody: Buffer.from(body, 'utf8'),
    source: 'default',
    signature: 'ab'.repeat(32),
    receivedAt: new Date('2026-01-08T10:10:00.250Z'),
  });
  if (!result.ok) throw new Error('fixture is not an envelope');
  return result;
}

describe("the gateway's rxscale.* records read with the CloudEvents SDK", () => {
  let topics: TestTopics;
  beforeAll(async () => {
    topics = await createTestTopics(sharedBrokers);
  });
  afterAll(async () => {
    await deleteTopics(sharedBrokers, topics);
  });

  it('gives back the event of every rxscale.* type, body byte for byte', async () => {
    const rxscaleTopics = allEventContracts()
      .filter((c) => !isPharmacyEventType(c.type))
      .map((c) => c.topic);
    const records = Object.values(ExampleWebhookBodies).map((body) => {
      const b = built(body);
      return {
        built: b,
        body,
        topic: configuredTopic(b, topics).topic,
        record: kafkaRecord(b, 'default', {
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          correlationid: 'corr-1',
        }),
      };
    });
    // One example per webhook type, the unrecognized one included: every rxscale.* topic of the catalog.
    expect(new Set(records.map((r) => r.built.topic))).toEqual(new Set(rxscaleTopics));

    const producer = new Kafka({
      clientId: 'gateway-ce-test',
      brokers: sharedBrokers.split(','),
      logLevel: logLevel.NOTHING,
    }).producer({
      idempotent: true,
    });
    await producer.connect();
    try {
      for (const r of records) await producer.send({ topic: r.topic, acks: -1, messages: [r.record] });
    } finally {
      await producer.disconnect();
    }

    for (const r of records) {
      const [stored] = (await readTopic(sharedBrokers, r.topic)).filter(
        (s) => (JSON.parse(s.value) as { id: string }).id === r.built.event.id,
      );
      expect(stored?.headers['content-type']).toBe('application/cloudevents+json');
      const message: CloudEventsKafkaMessage<string> = {
        key: stored!.key ?? '',
        value: stored!.value,
        headers: stored!.headers,
        body: undefined,
      };
      const event = CloudEventsKafka.toEvent(message);
      if (!(event instanceof CloudEvent)) throw new Error('expected one event, got a batch');
      expect(event.validate()).toBe(true);
      const { partitionkey, ...attributes } = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
      expect(partitionkey).toBe(r.record.key);
      expect(attributes).toEqual(JSON.parse(JSON.stringify(r.built.event)));
      expect(Buffer.from(event.data_base64!, 'base64').toString('utf8')).toBe(r.body);
    }
  });
});
