import {
  enqueueEvents,
  enqueueRxscaleCommand,
  purgePlumbingTables,
  readOutboxBacklog,
} from '../src/index.js';
import { createTestSchema, effectEvent, type TestSchema } from './support/plumbing-harness.js';

describe('plumbing housekeeping', () => {
  let db: TestSchema;
  const day = 24 * 60 * 60 * 1000;

  beforeEach(async () => {
    db = await createTestSchema();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('reports the outbox backlog, pending commands and parked records', async () => {
    expect(await readOutboxBacklog(db.dataSource)).toEqual({
      pending: 0,
      oldestAgeMs: 0,
      pendingCommands: 0,
      oldestCommandAgeMs: 0,
      parked: 0,
    });
    await db.dataSource.transaction(async (m) => {
      await enqueueEvents(m, [
        { topic: 't', key: 'a', event: effectEvent({ key: 'a', seq: 1 }) },
        { topic: 't', key: 'b', event: effectEvent({ key: 'b', seq: 1 }) },
      ]);
      await enqueueRxscaleCommand(m, { kind: 'order.status', targetUid: 'po_1', payload: {} });
    });
    await db.sql.query(
      "UPDATE outbox SET created_at = clock_timestamp() - interval '1 minute' WHERE key = 'a'",
    );
    await db.sql.query("UPDATE rxscale_command SET created_at = clock_timestamp() - interval '2 minutes'");
    const backlog = await readOutboxBacklog(db.dataSource);
    expect(backlog).toMatchObject({ pending: 2, pendingCommands: 1, parked: 0 });
    expect(backlog.oldestAgeMs).toBeGreaterThanOrEqual(60_000);
    expect(backlog.oldestCommandAgeMs).toBeGreaterThanOrEqual(120_000);
  });

  it('purges settled rows and old inbox entries, and refuses an inbox window shorter than the topics keep records', async () => {
    await db.dataSource.transaction((m) =>
      enqueueEvents(m, [
        { topic: 't', key: 'a', event: effectEvent({ key: 'a', seq: 1 }) },
        { topic: 't', key: 'b', event: effectEvent({ key: 'b', seq: 1 }) },
      ]),
    );
    await db.sql.query(
      "UPDATE outbox SET published_at = clock_timestamp() - interval '2 days' WHERE key = 'a'",
    );
    await db.sql
      .query(`INSERT INTO inbox (event_id, event_type, consumer_group, topic, partition, "offset", handled_at)
      VALUES ('old', 't', 'g', 't', 0, 0, clock_timestamp() - interval '40 days'), ('new', 't', 'g', 't', 0, 1, clock_timestamp())`);
    await expect(
      purgePlumbingTables(db.dataSource, { settledOlderThanMs: day, inboxOlderThanMs: day }),
    ).rejects.toThrow(/inboxOlderThanMs/);
    expect(
      await purgePlumbingTables(db.dataSource, { settledOlderThanMs: day, inboxOlderThanMs: 30 * day }),
    ).toEqual({ outbox: 1, commands: 0, inbox: 1 });
    const left = await db.sql.query<{ key: string }>('SELECT key FROM outbox');
    expect(left.rows).toEqual([{ key: 'b' }]);
    const inbox = await db.sql.query<{ event_id: string }>('SELECT event_id FROM inbox');
    expect(inbox.rows).toEqual([{ event_id: 'new' }]);
  });
});
