import {
  effectsCtes,
  enqueueEffects,
  RxscaleCommandRelay,
  silentLogger,
  type OutboxMessage,
  type RxscaleCommand,
} from '../src/index.js';
import { waitFor } from '@rxbridge/testing';
import { count, createTestSchema, effectEvent, type TestSchema } from './support/plumbing-harness.js';

describe(enqueueEffects.name, () => {
  let db: TestSchema;
  const relays: RxscaleCommandRelay[] = [];
  const topic = 'test.effects.v1';

  beforeEach(async () => {
    db = await createTestSchema();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await db.drop();
  });

  it('queues the events and the commands of a step together, the commands in list order', async () => {
    await db.dataSource.transaction((m) =>
      enqueueEffects(m, {
        events: [
          { topic, key: 'po_1', event: effectEvent({ key: 'po_1', seq: 1 }) },
          { topic, key: 'po_1', event: effectEvent({ key: 'po_1', seq: 2 }) },
        ],
        commands: [
          {
            kind: 'order.status',
            targetUid: 'po_1',
            payload: { status: 'a' },
            priority: 5,
            pharmacyUid: 'ph_1',
          },
          { kind: 'order.status', targetUid: 'po_1', payload: { status: 'b' } },
        ],
      }),
    );
    const events = await db.sql.query<{ key: string; seq: number }>(
      "SELECT key, (value->'data'->>'seq')::int AS seq FROM outbox ORDER BY id",
    );
    expect(events.rows).toEqual([
      { key: 'po_1', seq: 1 },
      { key: 'po_1', seq: 2 },
    ]);
    const commands = await db.sql.query<{ status: string; priority: number; pharmacy_uid: string | null }>(
      "SELECT payload->>'status' AS status, priority, pharmacy_uid FROM rxscale_command ORDER BY id",
    );
    expect(commands.rows).toEqual([
      { status: 'a', priority: 5, pharmacy_uid: 'ph_1' },
      { status: 'b', priority: 0, pharmacy_uid: null },
    ]);
  });

  it('queues events alone and commands alone', async () => {
    await db.dataSource.transaction(async (m) => {
      await enqueueEffects(m, { events: [{ topic, key: 'k', event: effectEvent({ key: 'k', seq: 1 }) }] });
      await enqueueEffects(m, { commands: [{ kind: 'sku.stock', targetUid: 'sku_1', payload: 3 }] });
      await enqueueEffects(m, { events: [], commands: [] });
    });
    expect(await count(db.sql, 'SELECT 1 FROM outbox')).toBe(1);
    expect(await count(db.sql, 'SELECT 1 FROM rxscale_command')).toBe(1);
  });

  it('writes nothing when an event or a command is invalid', async () => {
    const good = {
      events: [{ topic, key: 'k', event: effectEvent({ key: 'k', seq: 1 }) }],
      commands: [{ kind: 'order.status', targetUid: 'po_1', payload: {} }],
    };
    await expect(
      db.dataSource.transaction((m) =>
        enqueueEffects(m, {
          ...good,
          commands: [...good.commands, { kind: '', targetUid: 'po_1', payload: {} }],
        }),
      ),
    ).rejects.toThrow(/invalid RxScale command: kind/);
    await expect(
      db.dataSource.transaction((m) =>
        enqueueEffects(m, {
          ...good,
          events: [
            {
              topic,
              key: 'k',
              event: { ...effectEvent({ key: 'k', seq: 2 }), specversion: '0.3' },
            } as unknown as OutboxMessage,
          ],
        }),
      ),
    ).rejects.toThrow(/not a CloudEvent: specversion/);
    expect(await count(db.sql, 'SELECT 1 FROM outbox')).toBe(0);
    expect(await count(db.sql, 'SELECT 1 FROM rxscale_command')).toBe(0);
  });

  it("rides in a service's own statement, and with a condition writes nothing unless it holds", async () => {
    // in the test's schema, dropped with it
    await db.dataSource.query('CREATE TABLE effect_owner (uid text PRIMARY KEY)');
    /** Stores `uid` unless stored already, with one event and one command only if it was stored now. */
    const store = (uid: string): Promise<number> =>
      db.dataSource.transaction(async (m) => {
        const params: unknown[] = [uid];
        const ctes = effectsCtes(
          {
            events: [{ topic, key: uid, event: effectEvent({ key: uid, seq: 1 }) }],
            commands: [{ kind: 'order.status', targetUid: uid, payload: {} }],
          },
          params,
          { when: 'EXISTS (SELECT 1 FROM stored)' },
        );
        const [row] = await m.query<{ n: number }[]>(
          `WITH stored AS (INSERT INTO effect_owner (uid) VALUES ($1) ON CONFLICT DO NOTHING RETURNING uid),
             ${ctes.join(', ')}
           SELECT count(*)::int AS n FROM stored`,
          params,
        );
        return row!.n;
      });
    expect(await store('po_1')).toBe(1);
    expect(await store('po_1')).toBe(0);
    expect(await count(db.sql, "SELECT 1 FROM outbox WHERE key = 'po_1'")).toBe(1);
    expect(await count(db.sql, "SELECT 1 FROM rxscale_command WHERE target_uid = 'po_1'")).toBe(1);
    expect(effectsCtes({ events: [], commands: [] }, [])).toEqual([]);
  });

  it('wakes the command relay, which runs as many commands at once as it has loops', async () => {
    let inFlight = 0;
    let most = 0;
    const done: string[] = [];
    const relay = new RxscaleCommandRelay({
      dataSource: db.dataSource,
      // no polling in the test's time: only the notification of the insert can start the work
      pollIntervalMs: 600_000,
      concurrency: 4,
      logger: silentLogger,
      execute: async (command: RxscaleCommand) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 150));
        inFlight--;
        done.push(command.targetUid);
        return { outcome: 'done' };
      },
    });
    relays.push(relay);
    await relay.start();
    await db.dataSource.transaction((m) =>
      enqueueEffects(m, {
        events: [{ topic, key: 'k', event: effectEvent({ key: 'k', seq: 1 }) }],
        commands: Array.from({ length: 8 }, (_, i) => ({
          kind: 'order.status',
          targetUid: `po_${i}`,
          payload: {},
        })),
      }),
    );
    await waitFor(() => done.length === 8 || undefined, 'the eight commands to run', { timeoutMs: 10_000 });
    expect(most).toBe(4);
  });
});
