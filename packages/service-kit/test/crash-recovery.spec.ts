import { type Admin, type Producer } from 'kafkajs';
import { runFixture, type Child } from './support/child-process.js';
import { createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import {
  count,
  createTestSchema,
  effectEvent,
  offsetsCommittedToEnd,
  record,
  type TestSchema,
} from './support/plumbing-harness.js';

describe('consumer process crashes and stops', () => {
  const kafka = kafkaClient();
  let admin: Admin;
  let producer: Producer;
  let db: TestSchema;
  let topic: string;
  let group: string;
  const children: Child[] = [];

  beforeEach(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = await createTestSchema();
    const id = uniqueSuffix();
    topic = `test.crash.${id}`;
    group = `crash-test-${id}`;
    await createTopics(admin, [
      { name: topic, partitions: 2 },
      { name: `${group}.dlq`, partitions: 1 },
    ]);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
      await c.exited;
    }
    await producer.disconnect();
    await db.drop();
    await deleteTopics(admin, [topic, `${group}.dlq`]);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  });

  function start(env: Record<string, string> = {}): Child {
    const child = runFixture('consumer.fixture.ts', {
      FIXTURE_SCHEMA: db.schema,
      FIXTURE_TOPIC: topic,
      FIXTURE_GROUP: group,
      ...env,
    });
    children.push(child);
    return child;
  }

  it('loses no effect and doubles none when killed after the database commit and before the offset commit', async () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      effectEvent({ key: `order-${i % 6}`, seq: Math.floor(i / 6) + 1 }),
    );
    await producer.send({
      topic,
      messages: events.map((e) => record(e, String((e.data as { key: string }).key))),
    });
    const victim = events[12]!;

    const first = start({ FIXTURE_KILL_AFTER_COMMIT: victim.id });
    const { signal } = await first.exited;
    expect(signal).toBe('SIGKILL');
    // the victim's effect committed, but the group has not acknowledged its record
    expect(await count(db.sql, 'SELECT 1 FROM effect WHERE event_id = $1', [victim.id])).toBe(1);
    const inbox = await db.sql.query<{ partition: number; offset: string }>(
      'SELECT partition, "offset" FROM inbox WHERE event_id = $1',
      [victim.id],
    );
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const victimPartition = committed!.partitions.find((p) => p.partition === inbox.rows[0]!.partition)!;
    expect(BigInt(victimPartition.offset)).toBeLessThanOrEqual(BigInt(inbox.rows[0]!.offset));

    const second = start();
    await second.ready;
    await waitFor(
      async () => (await count(db.sql, 'SELECT 1 FROM effect')) >= events.length,
      'every effect after the restart',
    );
    await waitFor(() => offsetsCommittedToEnd(admin, group, topic), 'offsets committed after the restart');
    expect(await count(db.sql, 'SELECT 1 FROM effect')).toBe(events.length);
    expect(await count(db.sql, 'SELECT event_id FROM effect GROUP BY event_id HAVING count(*) > 1')).toBe(0);
    const applied = await db.sql.query<{ event_id: string }>('SELECT DISTINCT event_id FROM effect');
    expect(new Set(applied.rows.map((r) => r.event_id))).toEqual(new Set(events.map((e) => e.id)));
    // order per key held across the crash
    const rows = await db.sql.query<{ key: string; seq: number }>(
      'SELECT key, seq FROM effect ORDER BY applied',
    );
    for (const key of new Set(rows.rows.map((r) => r.key))) {
      expect(rows.rows.filter((r) => r.key === key).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('commits what it handled and leaves the group on SIGTERM', async () => {
    const child = start();
    await child.ready;
    const events = Array.from({ length: 20 }, (_, i) => effectEvent({ key: `k${i}`, seq: 1 }));
    await producer.send({ topic, messages: events.map((e, i) => record(e, `k${i}`)) });
    await waitFor(
      async () => (await count(db.sql, 'SELECT 1 FROM effect')) === events.length,
      'every effect',
    );
    child.process.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
    expect(child.output()).not.toMatch(/Error/);
    expect(await offsetsCommittedToEnd(admin, group, topic)).toBe(true);
    const described = await admin.describeGroups([group]);
    expect(described.groups[0]!.members).toEqual([]);
  });
});
