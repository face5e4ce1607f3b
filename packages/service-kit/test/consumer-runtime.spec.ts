import { type INestMicroservice } from '@nestjs/common';
import { type Admin, type Consumer, type Producer } from 'kafkajs';
import { RxScaleEventHeaders } from '@rxbridge/contracts';
import {
  createPlumbingMicroservice,
  inspectDeadLetter,
  listDeadLetters,
  PlumbingServer,
  REPLAYED_FROM_HEADER,
  replayDeadLetter,
  silentLogger,
  type PlumbingServerOptions,
} from '../src/index.js';
import { EffectModule } from './support/effect.controller.js';
import { brokers, createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import {
  count,
  createTestSchema,
  effectEvent,
  type EffectData,
  offsetsCommittedToEnd,
  record,
  type TestSchema,
} from './support/plumbing-harness.js';

describe(PlumbingServer.name, () => {
  const kafka = kafkaClient();
  let admin: Admin;
  let producer: Producer;
  let db: TestSchema;
  let topic: string;
  let group: string;
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  beforeEach(async () => {
    // a producer per test: kafkajs keeps refreshing metadata of every topic it ever sent to, deleted ones too
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = await createTestSchema();
    const id = uniqueSuffix();
    topic = `test.plumbing.${id}`;
    group = `plumbing-test-${id}`;
  });
  afterEach(async () => {
    await producer.disconnect();
    await app?.close();
    app = undefined;
    await db.drop();
    await deleteTopics(admin, [topic, `${group}.dlq`]);
    await admin.deleteGroups([group]).catch(() => undefined);
  });

  async function startConsumer(
    partitions: number,
    options: Partial<PlumbingServerOptions> = {},
    { withDeadLetterTopic = true } = {},
  ): Promise<PlumbingServer> {
    await createTopics(admin, [
      { name: topic, partitions },
      ...(withDeadLetterTopic ? [{ name: `${group}.dlq`, partitions: 1 }] : []),
    ]);
    const started = await createPlumbingMicroservice(
      EffectModule,
      {
        kafka: { brokers, clientId: group },
        groupId: group,
        topics: [topic],
        dataSource: db.dataSource,
        backoff: { initialMs: 20, maxMs: 100 },
        parked: { pollIntervalMs: 100, backoff: { initialMs: 50, maxMs: 200 } },
        // failures are provoked on purpose here; the assertions read their traces from the tables and the DLQ
        logger: silentLogger,
        ...options,
      },
      { logger: false },
    );
    app = started.app;
    await app.listen();
    return started.server;
  }

  describe('duplicates', () => {
    it('applies a record delivered twice once, and commits past both', async () => {
      await startConsumer(1);
      const event = effectEvent({ key: 'order-1', seq: 1 });
      await producer.send({ topic, messages: [record(event, 'order-1'), record(event, 'order-1')] });
      await producer.send({ topic, messages: [record(effectEvent({ key: 'order-1', seq: 2 }), 'order-1')] });
      await waitFor(
        () => count(db.sql, 'SELECT 1 FROM effect WHERE seq = 2'),
        'the record after the duplicate',
      );
      expect(await count(db.sql, 'SELECT 1 FROM effect WHERE event_id = $1', [event.id])).toBe(1);
      expect(await count(db.sql, 'SELECT 1 FROM inbox')).toBe(2);
      await waitFor(() => offsetsCommittedToEnd(admin, group, topic), 'offsets committed');
    });

    it('treats two RxScale deliveries with one delivery key as one event even under new CloudEvent ids', async () => {
      await startConsumer(1);
      const first = effectEvent({ key: 'order-2', seq: 1 });
      const redelivered = effectEvent({ key: 'order-2', seq: 1 });
      await producer.send({
        topic,
        messages: [
          // The gateway's header, then the CloudEvent-extension name as a header: both are the delivery key.
          record(first, 'order-2', { [RxScaleEventHeaders.dedupKey]: 'evt_123' }),
          record(redelivered, 'order-2', { rxscaledeliverykey: 'evt_123' }),
          record(effectEvent({ key: 'order-2', seq: 2 }), 'order-2'),
        ],
      });
      await waitFor(
        () => count(db.sql, 'SELECT 1 FROM effect WHERE seq = 2'),
        'the record after the redelivery',
      );
      expect(await count(db.sql, 'SELECT 1 FROM effect WHERE seq = 1')).toBe(1);
      const inbox = await db.sql.query<{ dedup_key: string | null }>(
        'SELECT dedup_key FROM inbox WHERE dedup_key IS NOT NULL',
      );
      expect(inbox.rows).toEqual([{ dedup_key: 'evt_123' }]);
    });
  });

  describe('poison records', () => {
    it('dead-letters each with its error and origin, handles the records after them, and replays one', async () => {
      await startConsumer(1);
      const refusedEvent = effectEvent({ key: 'k', seq: 5 });
      await db.sql.query('INSERT INTO refuse (event_id) VALUES ($1)', [refusedEvent.id]);
      await producer.send({
        topic,
        messages: [
          record(effectEvent({ key: 'k', seq: 1 }), 'k'),
          { key: 'k', value: 'not json {', headers: { traceparent: '00-abc-def-01' } },
          { key: 'k', value: JSON.stringify({ specversion: '1.0', id: 'x' }) },
          { key: 'k', value: JSON.stringify({ ...effectEvent({ key: 'k', seq: 4 }), type: 'test.unknown' }) },
          record(refusedEvent, 'k'),
          record(effectEvent({ key: 'k', seq: 6 }), 'k'),
        ],
      });
      await waitFor(() => count(db.sql, 'SELECT 1 FROM effect WHERE seq = 6'), 'the record after the poison');
      expect(
        (await db.sql.query<{ seq: number }>('SELECT seq FROM effect ORDER BY applied')).rows.map(
          (r) => r.seq,
        ),
      ).toEqual([1, 6]);

      const letters = await waitFor(async () => {
        const l = await listDeadLetters(kafka, group);
        return l.length === 4 ? l : undefined;
      }, 'four dead letters');
      expect(letters.map((l) => [l.sourceOffset, l.errorCode])).toEqual([
        ['1', 'invalid_json'],
        ['2', 'invalid_envelope'],
        ['3', 'unknown_type'],
        ['4', 'transition_not_allowed'],
      ]);
      for (const l of letters) {
        expect(l).toMatchObject({ sourceTopic: topic, sourcePartition: 0, key: 'k', attempts: 1 });
        expect(l.error.length).toBeGreaterThan(0);
      }
      expect(letters[2]!.error).toContain('test.unknown');
      expect(letters[3]!.error).toContain('transition refused');

      const notJson = await inspectDeadLetter(kafka, group, { partition: 0, offset: letters[0]!.offset });
      expect(notJson?.value?.toString()).toBe('not json {');
      expect(notJson?.originalHeaders).toEqual({ traceparent: '00-abc-def-01' });

      // The operator fixes the cause and replays: the event is handled, once.
      await db.sql.query('DELETE FROM refuse');
      const replayed = await replayDeadLetter(kafka, producer, group, {
        partition: 0,
        offset: letters[3]!.offset,
      });
      expect(replayed.eventId).toBe(refusedEvent.id);
      await waitFor(
        () => count(db.sql, 'SELECT 1 FROM effect WHERE event_id = $1', [refusedEvent.id]),
        'the replayed event',
      );
      const end = await admin.fetchTopicOffsets(topic);
      expect(end[0]!.high).toBe('7');
      await expect(replayDeadLetter(kafka, producer, group, { partition: 0, offset: '99' })).rejects.toThrow(
        /no dead letter/,
      );
      expect(REPLAYED_FROM_HEADER).toBe('rxbridge-replayed-from');
    });
  });

  describe('when the dead-letter topic cannot be written', () => {
    it('holds the partition at the poison record until it can, then dead-letters it and moves on', async () => {
      const failures: string[] = [];
      const logger = { ...silentLogger, error: (_obj: object, msg: string) => failures.push(msg) };
      await startConsumer(
        1,
        {
          logger,
          kafka: { brokers, clientId: group, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } },
        },
        { withDeadLetterTopic: false },
      );
      const after = effectEvent({ key: 'k', seq: 2 });
      await producer.send({ topic, messages: [{ key: 'k', value: 'poison' }, record(after, 'k')] });
      await waitFor(
        () => failures.includes('could not park or dead-letter a record, retrying'),
        'a failed dead-letter attempt',
      );
      // the record behind the poison waits: its fate is not recorded yet, so the offset must not pass it
      expect(await count(db.sql, 'SELECT 1 FROM effect')).toBe(0);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(committed!.partitions[0]!.offset).toBe('-1');

      await createTopics(admin, [{ name: `${group}.dlq`, partitions: 1 }]);
      await waitFor(
        () => count(db.sql, 'SELECT 1 FROM effect WHERE event_id = $1', [after.id]),
        'the record after the poison',
      );
      const letters = await listDeadLetters(kafka, group);
      expect(letters.map((l) => l.errorCode)).toEqual(['invalid_json']);
      await waitFor(() => offsetsCommittedToEnd(admin, group, topic), 'offsets committed');
    });
  });

  describe('transient failures', () => {
    it('retries a failure that heals in place and applies the event once', async () => {
      const retried: number[] = [];
      await startConsumer(1, {
        maxAttempts: 5,
        observer: { recordRetried: (info) => retried.push(info.attempt) },
      });
      const event = effectEvent({ key: 'k', seq: 1, failUntilAttempt: 3 });
      await producer.send({ topic, messages: [record(event, 'k')] });
      await waitFor(() => count(db.sql, 'SELECT 1 FROM effect'), 'the healed event');
      const rows = await db.sql.query<{ attempt: number }>('SELECT attempt FROM effect');
      expect(rows.rows).toEqual([{ attempt: 3 }]);
      expect(retried).toEqual([1, 2]);
      await waitFor(() => offsetsCommittedToEnd(admin, group, topic), 'offset committed');
    });

    it('parks a record that keeps failing, parks its key behind it, lets other keys pass, and later applies them in order', async () => {
      await startConsumer(1, { maxAttempts: 2 });
      await producer.send({
        topic,
        messages: [
          record(effectEvent({ key: 'stuck', seq: 1, failUntilAttempt: 4 }), 'stuck'),
          record(effectEvent({ key: 'stuck', seq: 2 }), 'stuck'),
          record(effectEvent({ key: 'free', seq: 1 }), 'free'),
          record(effectEvent({ key: 'stuck', seq: 3 }), 'stuck'),
        ],
      });
      await waitFor(
        () => count(db.sql, "SELECT 1 FROM effect WHERE key = 'stuck' HAVING count(*) = 3"),
        'the parked key drained',
      );
      const stuck = await db.sql.query<{ seq: number; attempt: number }>(
        "SELECT seq, attempt FROM effect WHERE key = 'stuck' ORDER BY applied",
      );
      expect(stuck.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(stuck.rows[0]!.attempt).toBe(4);
      expect(await count(db.sql, "SELECT 1 FROM effect WHERE key = 'free'")).toBe(1);
      // the free key did not wait for the parked one
      const order = await db.sql.query<{ key: string }>('SELECT key FROM effect ORDER BY applied');
      expect(order.rows[0]!.key).toBe('free');
      expect(await count(db.sql, 'SELECT 1 FROM parked')).toBe(0);
      await waitFor(
        () => offsetsCommittedToEnd(admin, group, topic),
        'offsets committed past parked records',
      );
    });

    it('dead-letters a parked record that never heals', async () => {
      await startConsumer(1, {
        maxAttempts: 1,
        parked: { pollIntervalMs: 50, backoff: { initialMs: 10, maxMs: 20 }, maxAttempts: 2 },
      });
      await producer.send({
        topic,
        messages: [record(effectEvent({ key: 'k', seq: 1, failUntilAttempt: 99 }), 'k')],
      });
      const letters = await waitFor(async () => {
        const l = await listDeadLetters(kafka, group);
        return l.length === 1 ? l : undefined;
      }, 'the dead letter');
      expect(letters[0]!.error).toContain('simulated outage');
      expect(letters[0]!.attempts).toBeGreaterThanOrEqual(2);
      await waitFor(
        async () => (await count(db.sql, 'SELECT 1 FROM parked')) === 0,
        'the parked row removed',
      );
      expect(await count(db.sql, 'SELECT 1 FROM effect')).toBe(0);
    });
  });

  describe('ordering', () => {
    it('keeps order per key while several partitions are consumed at once', async () => {
      await startConsumer(4, { partitionsConsumedConcurrently: 4 });
      const keys = Array.from({ length: 16 }, (_, i) => `order-${i}`);
      const perKey = 25;
      for (let seq = 1; seq <= perKey; seq++) {
        await producer.send({ topic, messages: keys.map((k) => record(effectEvent({ key: k, seq }), k)) });
      }
      const total = keys.length * perKey;
      await waitFor(async () => (await count(db.sql, 'SELECT 1 FROM effect')) === total, `${total} effects`);
      const rows = await db.sql.query<{ key: string; seq: number }>(
        'SELECT key, seq FROM effect ORDER BY applied',
      );
      const seen = new Map<string, number[]>();
      for (const r of rows.rows) seen.set(r.key, [...(seen.get(r.key) ?? []), r.seq]);
      for (const k of keys) expect(seen.get(k)).toEqual(Array.from({ length: perKey }, (_, i) => i + 1));
      const partitionsUsed = await db.sql.query('SELECT DISTINCT partition FROM inbox');
      expect(partitionsUsed.rowCount).toBeGreaterThan(1);
    });
  });

  describe('preparing a run', () => {
    it('hands each run its events before the transaction opens, and goes on when preparing fails', async () => {
      /** ids prepared, and how many of them already had an effect when they were prepared */
      const prepared: string[] = [];
      let appliedWhenPrepared = 0;
      let failNext = true;
      await startConsumer(1, {
        prepare: async (events) => {
          prepared.push(...events.map((e) => e.id));
          appliedWhenPrepared += await count(db.sql, 'SELECT 1 FROM effect WHERE event_id = ANY($1)', [
            events.map((e) => e.id),
          ]);
          if (failNext) {
            failNext = false;
            throw new Error('RxScale unreachable while warming');
          }
        },
      });
      const events = Array.from({ length: 8 }, (_, i) => effectEvent({ key: `order-${i % 3}`, seq: i + 1 }));
      await producer.send({ topic, messages: events.map((e) => record(e, (e.data as EffectData).key)) });
      await waitFor(
        async () => (await count(db.sql, 'SELECT 1 FROM effect')) === events.length,
        'every event applied',
      );
      expect(new Set(prepared)).toEqual(new Set(events.map((e) => e.id)));
      expect(appliedWhenPrepared).toBe(0);
      expect(failNext).toBe(false);
    });
  });

  describe('configuration', () => {
    it('refuses bad options, naming each problem', () => {
      expect(
        () =>
          new PlumbingServer({
            kafka: { brokers },
            groupId: 'bad group!',
            topics: [],
            dataSource: db.dataSource,
            recordsPerTransaction: 0,
          }),
      ).toThrow(
        'invalid plumbing options: groupId must be a plain Kafka name; topics must name at least one topic; recordsPerTransaction must be a positive integer',
      );
    });
  });

  describe('rebalances', () => {
    it('applies every event once, in order per key, while replicas join and leave', async () => {
      await startConsumer(4, { partitionsConsumedConcurrently: 2 });
      const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
      let seq = 0;
      const produceRound = async (rounds: number): Promise<void> => {
        for (let r = 0; r < rounds; r++) {
          seq++;
          await producer.send({ topic, messages: keys.map((k) => record(effectEvent({ key: k, seq }), k)) });
        }
      };
      await produceRound(10);
      await waitFor(
        async () => (await count(db.sql, 'SELECT 1 FROM effect')) >= 30,
        'the first replica at work',
      );
      // a second replica joins: partitions move while records are in flight
      const second = await createPlumbingMicroservice(
        EffectModule,
        {
          kafka: { brokers, clientId: `${group}-b` },
          groupId: group,
          topics: [topic],
          dataSource: db.dataSource,
          logger: silentLogger,
        },
        { logger: false },
      );
      await second.app.listen();
      try {
        await produceRound(10);
        await waitFor(
          async () => (await admin.describeGroups([group])).groups[0]!.members.length === 2,
          'two members',
        );
        // the first replica leaves: its partitions move to the second
        await app!.close();
        app = undefined;
        await produceRound(10);
        const total = keys.length * seq;
        await waitFor(async () => (await count(db.sql, 'SELECT 1 FROM effect')) >= total, `${total} effects`);
        await waitFor(() => offsetsCommittedToEnd(admin, group, topic), 'offsets committed');
        expect(await count(db.sql, 'SELECT 1 FROM effect')).toBe(total);
        const rows = await db.sql.query<{ key: string; seq: number }>(
          'SELECT key, seq FROM effect ORDER BY applied',
        );
        for (const k of keys) {
          expect(rows.rows.filter((r) => r.key === k).map((r) => r.seq)).toEqual(
            Array.from({ length: seq }, (_, i) => i + 1),
          );
        }
      } finally {
        await second.app.close();
      }
    });
    it('keeps its membership while a handler waits longer than the session timeout', async () => {
      // A handler waiting for RxScale's rate budget (a source's minute window spent) can outlast the session:
      // without heartbeats meanwhile the coordinator drops the member, the group rebalances and the record is
      // read again.
      const server = await startConsumer(1, { sessionTimeoutMs: 6_000 });
      const consumer = server.unwrap<Consumer>();
      let joins = 0;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joins++;
      });
      await producer.send({
        topic,
        messages: [record(effectEvent({ key: 'order-fast', seq: 1 }), 'order-fast')],
      });
      await waitFor(() => count(db.sql, 'SELECT 1 FROM effect'), 'a first record applied');
      joins = 0;
      const slow = effectEvent({ key: 'order-slow', seq: 1, holdMs: 10_000 });
      await producer.send({ topic, messages: [record(slow, 'order-slow')] });
      await waitFor(
        async () => (await count(db.sql, "SELECT 1 FROM effect WHERE key = 'order-slow'")) === 1,
        'the slow record applied',
        { timeoutMs: 40_000 },
      );
      await waitFor(() => offsetsCommittedToEnd(admin, group, topic), 'offsets committed');
      expect(joins).toBe(0);
    }, 60_000);
  });

  describe('shutdown', () => {
    it('commits what it handled and leaves the group on close', async () => {
      await startConsumer(2);
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) =>
          record(effectEvent({ key: `k${i}`, seq: 1 }), `k${i}`),
        ),
      });
      await waitFor(async () => (await count(db.sql, 'SELECT 1 FROM effect')) === 20, 'all effects');
      await app!.close();
      app = undefined;
      expect(await offsetsCommittedToEnd(admin, group, topic)).toBe(true);
      const described = await admin.describeGroups([group]);
      expect(described.groups[0]!.members).toEqual([]);
    });
  });
});
