import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { createCloudEvent, EventContractError } from '@rxbridge/contracts';
import { type Admin, type Producer } from 'kafkajs';
import { z } from 'zod';
import {
  createPlumbingMicroservice,
  defineLocalEvent,
  listDeadLetters,
  OnEvent,
  PlumbingContext,
  silentLogger,
  type LocalEvent,
} from '../src/index.js';
import { brokers, createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import { count, createTestSchema, record, type TestSchema } from './support/plumbing-harness.js';

const TestChecked = defineLocalEvent(
  'test.checked',
  z.object({ key: z.string(), seq: z.number().int(), breaksContract: z.boolean().optional() }),
);

/** A handler that finds a contract violation the schema could not see (as a service checking a rule would). */
@Controller()
class CheckingController {
  @OnEvent(TestChecked)
  async check(@Payload() event: LocalEvent<typeof TestChecked>, @Ctx() ctx: PlumbingContext): Promise<void> {
    if (event.data.breaksContract)
      throw new EventContractError('invalid_event', 'test.checked breaks its contract', event.type);
    await ctx.manager.query('INSERT INTO effect (event_id, key, seq, attempt) VALUES ($1, $2, $3, $4)', [
      event.id,
      event.data.key,
      event.data.seq,
      ctx.record.attempt,
    ]);
  }
}

@Module({ controllers: [CheckingController] })
class CheckingModule {}

function checked(data: z.input<typeof TestChecked.event>['data']) {
  return createCloudEvent({ type: TestChecked.type, source: '/contract-test', subject: data.key, data });
}

describe('contract errors thrown by a handler', () => {
  const kafka = kafkaClient();
  let admin: Admin;
  let producer: Producer;
  let db: TestSchema;
  let app: INestMicroservice | undefined;
  const id = uniqueSuffix();
  const topic = `test.contract.${id}`;
  const group = `contract-test-${id}`;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = await createTestSchema();
    await createTopics(admin, [
      { name: topic, partitions: 1 },
      { name: `${group}.dlq`, partitions: 1 },
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await producer.disconnect();
    await db.drop();
    await deleteTopics(admin, [topic, `${group}.dlq`]);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  });

  it('go to <group>.dlq on the first try, and the key’s later records are not held', async () => {
    const started = await createPlumbingMicroservice(
      CheckingModule,
      {
        kafka: { brokers, clientId: group },
        groupId: group,
        topics: [topic],
        dataSource: db.dataSource,
        // generous in-place retries and parking: a contract error must use none of them
        maxAttempts: 5,
        backoff: { initialMs: 2_000, maxMs: 2_000 },
        parked: { pollIntervalMs: 100, backoff: { initialMs: 60_000, maxMs: 60_000 } },
        logger: silentLogger,
      },
      { logger: false },
    );
    app = started.app;
    await app.listen();
    await producer.send({
      topic,
      messages: [
        record(checked({ key: 'order-1', seq: 1, breaksContract: true }), 'order-1'),
        record(checked({ key: 'order-1', seq: 2 }), 'order-1'),
      ],
    });

    await waitFor(() => count(db.sql, 'SELECT 1 FROM effect WHERE seq = 2'), 'the key’s next record');
    const letters = await waitFor(async () => {
      const l = await listDeadLetters(kafka, group);
      return l.length === 1 ? l : undefined;
    }, 'one dead letter');
    expect(letters[0]).toMatchObject({
      sourceOffset: '0',
      key: 'order-1',
      attempts: 1,
      errorCode: 'invalid_event',
    });
    expect(letters[0]!.error).toContain('breaks its contract');
    expect(await count(db.sql, 'SELECT 1 FROM parked')).toBe(0);
    expect(await count(db.sql, 'SELECT 1 FROM effect WHERE seq = 1')).toBe(0);
  });
});
