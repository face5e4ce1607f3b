import { logLevel, type Admin, type Consumer } from 'kafkajs';
import {
  enqueueEvents,
  OutboxRelay,
  PermanentError,
  silentLogger,
  type OutboxMessage,
} from '../src/index.js';
import { runFixture, type Child } from './support/child-process.js';
import { brokers, createTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import { count, createTestSchema, effectEvent, type TestSchema } from './support/plumbing-harness.js';

interface Seen {
  id: string;
  correlationId?: string;
  key: string;
  seq: number;
}

describe(OutboxRelay.name, () => {
  const kafka = kafkaClient();
  let admin: Admin;
  let db: TestSchema;
  let topic: string;
  const relays: OutboxRelay[] = [];
  const consumers: Consumer[] = [];
  const watchGroups: string[] = [];
  const children: Child[] = [];

  beforeEach(async () => {
    admin = kafka.admin();
    await admin.connect();
    db = await createTestSchema();
    topic = `test.outbox.${uniqueSuffix()}`;
    await createTopics(admin, [{ name: topic, partitions: 3 }]);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
      await c.exited;
    }
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
    await admin.deleteGroups(watchGroups.splice(0)).catch(() => undefined);
    await db.drop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  function messages(keys: number, perKey: number): OutboxMessage[] {
    const out: OutboxMessage[] = [];
    for (let seq = 1; seq <= perKey; seq++) {
      for (let k = 0; k < keys; k++) {
        const key = `order-${k}`;
        out.push({
          topic,
          key,
          event: effectEvent({ key, seq }),
          headers: { correlationid: `c-${k}-${seq}` },
        });
      }
    }
    return out;
  }

  async function enqueue(batch: OutboxMessage[]): Promise<void> {
    // several transactions, as handlers would commit them
    for (let i = 0; i < batch.length; i += 25) {
      await db.dataSource.transaction((manager) => enqueueEvents(manager, batch.slice(i, i + 25)));
    }
  }

  async function startRelay(options: { batchSize?: number } = {}): Promise<OutboxRelay> {
    const relay = new OutboxRelay({
      dataSource: db.dataSource,
      kafka: { brokers, clientId: 'outbox-test' },
      pollIntervalMs: 500,
      ...options,
    });
    relays.push(relay);
    await relay.start();
    return relay;
  }

  /** Everything that arrives on the topic, in arrival order per partition. */
  async function watch(): Promise<Seen[]> {
    const seen: Seen[] = [];
    const groupId = `outbox-watch-${uniqueSuffix()}`;
    watchGroups.push(groupId);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const event = JSON.parse(message.value!.toString()) as { id: string; data: { seq: number } };
        seen.push({
          id: event.id,
          key: message.key!.toString(),
          seq: event.data.seq,
          correlationId: message.headers?.correlationid?.toString(),
        });
        return Promise.resolve();
      },
    });
    return seen;
  }

  /** What a consumer de-duplicating by CloudEvent id (an inbox) acts on. */
  function effects(seen: Seen[]): Seen[] {
    const ids = new Set<string>();
    return seen.filter((s) => (ids.has(s.id) ? false : (ids.add(s.id), true)));
  }

  function expectOrderPerKey(acted: Seen[], keys: number, perKey: number): void {
    for (let k = 0; k < keys; k++) {
      expect(acted.filter((s) => s.key === `order-${k}`).map((s) => s.seq)).toEqual(
        Array.from({ length: perKey }, (_, i) => i + 1),
      );
    }
  }

  it('refuses an event that is not a CloudEvent and writes nothing of its transaction', async () => {
    const good = { topic, key: 'k', event: effectEvent({ key: 'k', seq: 1 }) };
    const bad = {
      topic,
      key: 'k',
      event: { ...effectEvent({ key: 'k', seq: 2 }), specversion: '0.3' },
    } as unknown as OutboxMessage;
    await expect(db.dataSource.transaction((m) => enqueueEvents(m, [good, bad]))).rejects.toThrow(
      PermanentError,
    );
    await expect(db.dataSource.transaction((m) => enqueueEvents(m, [{ ...good, key: '' }]))).rejects.toThrow(
      /key/,
    );
    expect(await count(db.sql, 'SELECT 1 FROM outbox')).toBe(0);
  });

  it('publishes committed rows in order per key with their headers and marks them published', async () => {
    const seen = await watch();
    await startRelay();
    const batch = messages(5, 10);
    await enqueue(batch);
    await waitFor(() => seen.length >= batch.length, 'every row on Kafka');
    expect(seen).toHaveLength(batch.length);
    expectOrderPerKey(seen, 5, 10);
    expect(seen.find((s) => s.key === 'order-3' && s.seq === 7)?.correlationId).toBe('c-3-7');
    await waitFor(
      async () => (await count(db.sql, 'SELECT 1 FROM outbox WHERE published_at IS NULL')) === 0,
      'rows marked',
    );
    expect(await count(db.sql, 'SELECT 1 FROM outbox WHERE attempts = 1 AND last_error IS NULL')).toBe(
      batch.length,
    );
  });

  it('never publishes a rolled-back row', async () => {
    const seen = await watch();
    await startRelay();
    await db.dataSource
      .transaction(async (m) => {
        await enqueueEvents(m, [{ topic, key: 'k', event: effectEvent({ key: 'k', seq: 1 }) }]);
        throw new Error('handler failed after enqueueing');
      })
      .catch(() => undefined);
    const committed = { topic, key: 'k', event: effectEvent({ key: 'k', seq: 2 }) };
    await db.dataSource.transaction((m) => enqueueEvents(m, [committed]));
    await waitFor(() => seen.length >= 1, 'the committed row');
    expect(seen.map((s) => s.id)).toEqual([committed.event.id]);
  });

  it('retries a topic Kafka refuses with backoff, without holding back other topics, then publishes', async () => {
    const missing = `test.outbox.missing.${uniqueSuffix()}`;
    const relay = new OutboxRelay({
      dataSource: db.dataSource,
      kafka: {
        brokers,
        clientId: 'outbox-test',
        logLevel: logLevel.NOTHING,
        retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
      },
      backoff: { initialMs: 50, maxMs: 200 },
      pollIntervalMs: 100,
      logger: silentLogger,
    });
    relays.push(relay);
    await relay.start();
    const seen = await watch();
    const elsewhere = effectEvent({ key: 'other', seq: 1 });
    await db.dataSource.transaction((m) =>
      enqueueEvents(m, [
        { topic: missing, key: 'k', event: effectEvent({ key: 'k', seq: 1 }) },
        { topic, key: 'other', event: elsewhere },
      ]),
    );
    // auto-creation is off: the topic does not exist until provisioned
    await waitFor(
      async () =>
        (await count(
          db.sql,
          'SELECT 1 FROM outbox WHERE attempts >= 2 AND last_error IS NOT NULL AND topic = $1',
          [missing],
        )) === 1,
      'failed attempts recorded',
    );
    await waitFor(() => seen.length === 1, 'the other topic published meanwhile');
    expect(seen[0]!.id).toBe(elsewhere.id);
    expect(
      await count(db.sql, 'SELECT 1 FROM outbox WHERE topic = $1 AND published_at IS NULL', [missing]),
    ).toBe(1);
    await createTopics(admin, [{ name: missing, partitions: 1 }]);
    try {
      await waitFor(
        async () => (await count(db.sql, 'SELECT 1 FROM outbox WHERE published_at IS NOT NULL')) === 2,
        'published after the topic exists',
      );
      // the refused row carries its history
      const row = await db.sql.query('SELECT attempts, last_error FROM outbox WHERE topic = $1', [missing]);
      expect(row.rows[0].attempts).toBeGreaterThanOrEqual(3);
      expect(row.rows[0].last_error).toBeNull();
    } finally {
      await admin.deleteTopics({ topics: [missing] }).catch(() => undefined);
    }
  });

  it('publishes every row after being killed mid-batch, and a de-duplicating consumer sees each event once', async () => {
    const batch = messages(6, 20);
    await enqueue(batch);
    const seen = await watch();
    const doomed = runFixture('relay.fixture.ts', {
      FIXTURE_SCHEMA: db.schema,
      FIXTURE_BATCH_SIZE: '10',
      FIXTURE_KILL_AFTER_BATCHES: '3',
    });
    children.push(doomed);
    expect((await doomed.exited).signal).toBe('SIGKILL');
    // Kafka took the third batch but the rows were never marked
    const unmarked = await count(db.sql, 'SELECT 1 FROM outbox WHERE published_at IS NULL');
    expect(unmarked).toBe(batch.length - 20);

    const survivor = runFixture('relay.fixture.ts', { FIXTURE_SCHEMA: db.schema, FIXTURE_BATCH_SIZE: '10' });
    children.push(survivor);
    await survivor.ready;
    await waitFor(
      async () => (await count(db.sql, 'SELECT 1 FROM outbox WHERE published_at IS NULL')) === 0,
      'every row published',
    );
    await waitFor(() => new Set(seen.map((s) => s.id)).size === batch.length, 'every event id on Kafka');
    expect(new Set(seen.map((s) => s.id))).toEqual(new Set(batch.map((m) => m.event.id)));
    expect(seen.length).toBeGreaterThanOrEqual(batch.length);
    const acted = effects(seen);
    expect(acted).toHaveLength(batch.length);
    expectOrderPerKey(acted, 6, 20);
  });

  it('publishes each row once with two relays running at once, keeping order per key', async () => {
    const seen = await watch();
    await startRelay({ batchSize: 7 });
    await startRelay({ batchSize: 7 });
    const batch = messages(10, 30);
    await enqueue(batch);
    await waitFor(
      async () => (await count(db.sql, 'SELECT 1 FROM outbox WHERE published_at IS NULL')) === 0,
      'every row published',
    );
    await waitFor(() => seen.length >= batch.length, 'every row on Kafka');
    // no crash happened, so not even a copy a consumer would drop
    expect(seen).toHaveLength(batch.length);
    expect(new Set(seen.map((s) => s.id)).size).toBe(batch.length);
    expectOrderPerKey(seen, 10, 30);
    expect(await count(db.sql, 'SELECT 1 FROM outbox WHERE attempts <> 1')).toBe(0);
  });
});
