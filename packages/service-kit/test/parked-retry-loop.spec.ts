// The parked retry loop against the real PostgreSQL, without a broker: every path but the dead letter (whose
// publisher needs Kafka; consumer-runtime.spec.ts and crash-recovery.spec.ts cover it with the broker).
import { type MessageHandler } from '@nestjs/microservices';
import { type CloudEvent } from '@rxbridge/contracts';
import {
  claimInInbox,
  createKafkaClient,
  DeadLetterPublisher,
  defaultDedupKey,
  silentLogger,
  TransientError,
  type PlumbingContext,
  type PlumbingObserver,
} from '../src/index.js';
import { insertParked } from '../src/parked/parked.repository.js';
import { ParkedRetryLoop } from '../src/parked/parked-retry.loop.js';
import { TestEffect } from './support/effect.controller.js';
import { count, createTestSchema, effectEvent, type TestSchema } from './support/plumbing-harness.js';

const GROUP = 'parked-unit';
const TOPIC = 'test.parked';

describe(ParkedRetryLoop.name, () => {
  let db: TestSchema;
  let calls: { id: string; attempt: number }[];
  let failing: Set<string>;
  let outcomes: string[];

  /** The test service's handler: one `effect` row in the record's transaction; throws for `failing` ids. */
  const handler = Object.assign(
    async (event: CloudEvent, ctx: PlumbingContext) => {
      calls.push({ id: event.id, attempt: ctx.record.attempt });
      await ctx.manager.query('INSERT INTO effect (event_id, key, attempt) VALUES ($1, $2, $3)', [
        event.id,
        ctx.record.key,
        ctx.record.attempt,
      ]);
      if (failing.has(event.id)) throw new TransientError('RxScale is away');
    },
    { extras: { eventSchema: TestEffect.event }, isEventHandler: true },
  ) as unknown as MessageHandler;

  const observer: PlumbingObserver = {
    recordProcessed: ({ outcome }) => outcomes.push(outcome),
    recordRetried: ({ kind, attempt }) => outcomes.push(`retried:${kind}:${attempt}`),
  };

  function loop(): ParkedRetryLoop {
    // A producer that was never connected, to an address nothing listens on: a test that reached the
    // dead-letter path would fail, not pass silently.
    const producer = createKafkaClient({
      clientId: 'parked-unit',
      brokers: ['127.0.0.1:1'],
      logger: silentLogger,
    }).producer();
    return new ParkedRetryLoop({
      group: GROUP,
      dataSource: db.dataSource,
      findHandler: (pattern) => (pattern === 'test.effect' ? handler : null),
      deadLetters: new DeadLetterPublisher(producer, GROUP, silentLogger),
      dedupKey: defaultDedupKey,
      pollIntervalMs: 10,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      maxAttempts: 10,
      inPlaceAttempts: 3,
      log: silentLogger,
      observer,
      signal: new AbortController().signal,
    });
  }

  async function park(key: string, offset: string, delayMs = 0): Promise<CloudEvent> {
    const event = effectEvent({ key, seq: Number(offset) });
    await insertParked(db.dataSource.manager, {
      group: GROUP,
      record: {
        topic: TOPIC,
        partition: 0,
        offset,
        key,
        value: Buffer.from(JSON.stringify(event)),
        headers: {},
      },
      eventId: event.id,
      attempts: 2,
      error: 'TransientError: earlier',
      behindKey: false,
      delayMs,
    });
    return event;
  }

  const parked = () =>
    db.sql
      .query<{ offset: string; attempts: number; last_error: string; due: boolean }>(
        `SELECT "offset", attempts, last_error, next_attempt_at <= clock_timestamp() AS due FROM parked ORDER BY id`,
      )
      .then((r) => r.rows);

  beforeEach(async () => {
    db = await createTestSchema();
    calls = [];
    failing = new Set();
    outcomes = [];
  });
  afterEach(async () => {
    await db.drop();
  });

  it('finds nothing to do while no parked record is due', async () => {
    await park('order-1', '1', 60_000);
    expect(await loop().retryOne()).toBe(false);
    expect(calls).toEqual([]);
    expect(await parked()).toHaveLength(1);
  });

  it('hands a due record to its handler with the next attempt, claims it in the inbox and removes it', async () => {
    const event = await park('order-1', '1');
    expect(await loop().retryOne()).toBe(true);
    expect(calls).toEqual([{ id: event.id, attempt: 3 }]);
    expect(await parked()).toEqual([]);
    expect(await count(db.sql, 'SELECT 1 FROM inbox WHERE event_id = $1', [event.id])).toBe(1);
    expect(await count(db.sql, 'SELECT 1 FROM effect WHERE event_id = $1', [event.id])).toBe(1);
    expect(outcomes).toEqual(['handled']);
  });

  it("reschedules a transient failure with its attempt and error, and rolls the handler's writes back", async () => {
    const event = await park('order-1', '1');
    failing.add(event.id);
    expect(await loop().retryOne()).toBe(true);
    expect(await parked()).toEqual([
      { offset: '1', attempts: 3, last_error: 'TransientError: RxScale is away', due: false },
    ]);
    expect(await count(db.sql, 'SELECT 1 FROM effect')).toBe(0);
    expect(await count(db.sql, 'SELECT 1 FROM inbox')).toBe(0);
    expect(outcomes).toEqual(['retried:parked:3']);
  });

  it("keeps a key's order: its later record waits while the earlier one is parked, other keys go on", async () => {
    const first = await park('order-1', '1');
    const second = await park('order-1', '2');
    const other = await park('order-2', '3');
    failing.add(first.id);
    const retry = loop();
    expect(await retry.retryOne()).toBe(true); // order-1's head fails and is rescheduled
    expect(await retry.retryOne()).toBe(true); // order-2 goes on
    expect(await retry.retryOne()).toBe(false); // order-1's second record is not a head
    expect(calls.map((c) => c.id)).toEqual([first.id, other.id]);
    expect((await parked()).map((p) => p.offset)).toEqual(['1', '2']);
    expect(calls.some((c) => c.id === second.id)).toBe(false);
  });

  it('does not run the handler again for an event the inbox already has', async () => {
    const event = await park('order-1', '1');
    await claimInInbox(
      db.dataSource.manager,
      {
        eventId: event.id,
        dedupKey: null,
        eventType: event.type,
        group: GROUP,
        topic: TOPIC,
        partition: 0,
        offset: '0',
        key: 'order-1',
      },
      { unlessKeyParked: false },
    );
    expect(await loop().retryOne()).toBe(true);
    expect(calls).toEqual([]);
    expect(await parked()).toEqual([]);
    expect(outcomes).toEqual(['duplicate']);
  });
});
