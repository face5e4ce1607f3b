import { randomUUID } from 'node:crypto';
import { connectPlumbing, createLogger } from '../src/index.js';
import { brokers, createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import { offsetsCommittedToEnd } from './support/plumbing-harness.js';
import { startEdgeTestApp, TOKENS, type EdgeTestApp } from './support/edge-test-app.js';
import { wiredEvent, WiringModule } from './support/wiring.controller.js';

/** The edge's global guard and interceptor on a service that also consumes: Kafka handlers are not callers. */
describe('HTTP edge in a hybrid app (connectPlumbing)', () => {
  const kafka = kafkaClient('edge-hybrid-test');
  const id = uniqueSuffix();
  const inTopic = `test.edge-hybrid.in.${id}`;
  const outTopic = `test.edge-hybrid.out.${id}`;
  const group = `edge-hybrid-test-${id}`;
  let edge: EdgeTestApp | undefined;

  afterAll(async () => {
    await edge?.close();
    const admin = kafka.admin();
    await admin.connect();
    await deleteTopics(admin, [inTopic, outTopic, `${group}.dlq`]);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  });

  it('consumes and dead-letters records by their error codes while the REST routes keep their auth', async () => {
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
      const logger = createLogger({
        service: 'edge-hybrid',
        destination: { write: () => undefined },
      });
      edge = await startEdgeTestApp({
        plumbing: true,
        listen: false,
        imports: [
          WiringModule.forRoot({
            outTopic,
            logger,
            gate: { reached: () => undefined, released: Promise.resolve() },
          }),
        ],
      });
      connectPlumbing(edge.app, {
        kafka: { brokers, clientId: group },
        groupId: group,
        topics: [inTopic],
        dataSource: edge.dataSource,
        logger,
        outboxRelay: { pollIntervalMs: 200 },
      });
      await edge.app.startAllMicroservices();
      await edge.app.listen(0, '127.0.0.1');
      const url = (await edge.app.getUrl()).replace('[::1]', '127.0.0.1');

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
        'the follow-up published',
      );
      await waitFor(
        async () => (await admin.fetchTopicOffsets(`${group}.dlq`))[0]!.high === '1',
        'the poison dead-lettered',
      );

      expect((await fetch(`${url}/stock/ABC`)).status).toBe(401);
      const write = await fetch(`${url}/stock/adjustments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKENS.writer.token}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ sku: 'ABC', delta: 1 }),
      });
      expect(write.status).toBe(201);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
