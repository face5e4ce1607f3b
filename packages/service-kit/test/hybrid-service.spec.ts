import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  connectPlumbing,
  createLogger,
  databaseHealthCheck,
  HealthModule,
  kafkaHealthCheck,
  MetricsModule,
  ServiceMetrics,
} from '../src/index.js';
import { brokers, createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import { createTestSchema, offsetsCommittedToEnd, type TestSchema } from './support/plumbing-harness.js';
import { wiredEvent, WiringModule } from './support/wiring.controller.js';

/**
 * A service as it will run: one Fastify app serving /metrics and /health, consuming through connectPlumbing,
 * with its outbox relay; checked over real HTTP against the real broker and database.
 */
describe(connectPlumbing.name, () => {
  const kafka = kafkaClient('hybrid-test');
  const id = uniqueSuffix();
  const inTopic = `test.hybrid.in.${id}`;
  const outTopic = `test.hybrid.out.${id}`;
  const group = `hybrid-test-${id}`;
  const logger = createLogger({ service: 'hybrid-test', destination: { write: () => undefined } });
  const metrics = new ServiceMetrics({ service: 'hybrid-test', defaultMetrics: false });
  const kafkaCheck = kafkaHealthCheck({ brokers, clientId: group });
  let db: TestSchema;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => {
    await app?.close();
    await kafkaCheck.close();
    await db.drop();
    const admin = kafka.admin();
    await admin.connect();
    await deleteTopics(admin, [inTopic, outTopic, `${group}.dlq`]);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  });

  it('serves the metrics of what it consumed and its readiness over HTTP, and closes the consumer with the app', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await createTopics(admin, [
        { name: inTopic, partitions: 1 },
        { name: outTopic, partitions: 1 },
        { name: `${group}.dlq`, partitions: 1 },
      ]);
      app = await NestFactory.create(
        {
          module: class HybridServiceModule {},
          imports: [
            MetricsModule.forRoot(metrics),
            HealthModule.forRoot([databaseHealthCheck(db.dataSource), kafkaCheck]),
            WiringModule.forRoot({
              outTopic,
              logger,
              gate: { reached: () => undefined, released: Promise.resolve() },
            }),
          ],
        },
        new FastifyAdapter(),
        { logger: false },
      );
      connectPlumbing(app, {
        kafka: { brokers, clientId: group },
        groupId: group,
        topics: [inTopic],
        dataSource: db.dataSource,
        logger,
        metrics,
        outboxRelay: { pollIntervalMs: 200 },
      });
      await app.startAllMicroservices();
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');

      await producer.send({
        topic: inTopic,
        messages: [
          { key: 'order-1', value: JSON.stringify(wiredEvent('test.wired', { key: 'order-1' })) },
          { key: 'order-2', value: JSON.stringify(wiredEvent('test.poison', { key: 'order-2' })) },
        ],
      });
      await waitFor(() => offsetsCommittedToEnd(admin, group, inTopic), 'offsets committed');
      await waitFor(
        async () => (await admin.fetchTopicOffsets(outTopic))[0]!.high === '1',
        'the follow-up event published',
      );

      const scrape = await fetch(`${url}/metrics`);
      expect(scrape.status).toBe(200);
      const lines = (await scrape.text()).split('\n');
      const labels = `topic="${inTopic}",group="${group}"`;
      expect(lines).toEqual(
        expect.arrayContaining([
          `rxbridge_records_handled_total{${labels},outcome="processed",service="hybrid-test"} 1`,
          `rxbridge_records_dead_lettered_total{${labels},outcome="transition_not_allowed",service="hybrid-test"} 1`,
          `rxbridge_consumer_lag{${labels},partition="0",service="hybrid-test"} 0`,
          `rxbridge_outbox_backlog{outbox="${db.schema}.outbox",service="hybrid-test"} 0`,
          `rxbridge_outbox_published_total{topic="${outTopic}",service="hybrid-test"} 1`,
        ]),
      );
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(200);

      await app.close();
      app = undefined;
      // closing the app closed the consumer: the group is left (no members)
      const [described] = (await admin.describeGroups([group])).groups;
      expect(described?.members).toEqual([]);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
