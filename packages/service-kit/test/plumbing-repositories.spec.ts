// The inbox and parked repositories against the real PostgreSQL, without Kafka.
import { claimInInbox, type InboxEntry, type ReceivedRecord } from '../src/index.js';
import {
  deleteParked,
  insertParked,
  lockDueParkedHead,
  rescheduleParked,
} from '../src/parked/parked.repository.js';
import { count, createTestSchema, type TestSchema } from './support/plumbing-harness.js';

function entry(overrides: Partial<InboxEntry> = {}): InboxEntry {
  return {
    eventId: 'evt-1',
    dedupKey: null,
    eventType: 'test.effect',
    group: 'g',
    topic: 't',
    partition: 0,
    offset: '0',
    key: 'order-1',
    ...overrides,
  };
}

function received(offset: string, key: string): ReceivedRecord {
  return { topic: 't', partition: 0, offset, key, value: Buffer.from('{}'), headers: { traceparent: 'x' } };
}

describe('plumbing repositories', () => {
  let db: TestSchema;
  beforeEach(async () => {
    db = await createTestSchema();
  });
  afterEach(async () => {
    await db.drop();
  });

  function park(offset: string, key: string, delayMs = 0, group = 'g'): Promise<void> {
    return insertParked(db.dataSource.manager, {
      group,
      record: received(offset, key),
      eventId: `evt-${offset}`,
      attempts: 3,
      error: 'TransientError: away',
      behindKey: false,
      delayMs,
    });
  }

  describe(claimInInbox.name, () => {
    it('claims an event once, by id and by dedup key', async () => {
      const m = db.dataSource.manager;
      expect(await claimInInbox(m, entry({ dedupKey: 'dk' }), { unlessKeyParked: true })).toBe('claimed');
      expect(await claimInInbox(m, entry({ offset: '1' }), { unlessKeyParked: true })).toBe('duplicate');
      expect(
        await claimInInbox(m, entry({ eventId: 'evt-2', dedupKey: 'dk' }), { unlessKeyParked: true }),
      ).toBe('duplicate');
      expect(await count(db.sql, 'SELECT 1 FROM inbox')).toBe(1);
    });

    it('makes a record wait behind a parked record of its key, and writes no inbox row for it', async () => {
      await park('5', 'order-1');
      const m = db.dataSource.manager;
      expect(await claimInInbox(m, entry(), { unlessKeyParked: true })).toBe('waiting');
      expect(
        await claimInInbox(m, entry({ eventId: 'evt-3', key: 'order-2' }), { unlessKeyParked: true }),
      ).toBe('claimed');
      expect(await count(db.sql, 'SELECT 1 FROM inbox')).toBe(1);
      // the parked retry itself claims without the check
      expect(await claimInInbox(m, entry(), { unlessKeyParked: false })).toBe('claimed');
    });

    it('leaves nothing behind when the surrounding transaction rolls back', async () => {
      await expect(
        db.dataSource.transaction(async (m) => {
          await claimInInbox(m, entry(), { unlessKeyParked: true });
          throw new Error('handler failed');
        }),
      ).rejects.toThrow('handler failed');
      expect(await count(db.sql, 'SELECT 1 FROM inbox')).toBe(0);
    });
  });

  describe('parked records', () => {
    it('stores the record as received: key, value bytes and headers', async () => {
      await park('5', 'order-1');
      const row = await lockDueParkedHead(db.dataSource.manager, 'g');
      expect(row && { ...row, id: undefined }).toEqual({
        id: undefined,
        topic: 't',
        partition: 0,
        offset: '5',
        record_key: 'order-1',
        record_value: Buffer.from('{}'),
        headers: { traceparent: 'x' },
        attempts: 3,
      });
    });

    it('offers only the oldest record of a key, only when due, and only of its group', async () => {
      await park('1', 'order-1');
      await park('2', 'order-1');
      await park('3', 'order-2', 60_000);
      await park('4', 'order-3', 0, 'other-group');
      const m = db.dataSource.manager;
      const head = await lockDueParkedHead(m, 'g');
      expect(head?.offset).toBe('1');
      await deleteParked(m, head!.id);
      expect((await lockDueParkedHead(m, 'g'))?.offset).toBe('2');
    });

    it('skips a head another replica holds locked', async () => {
      await park('1', 'order-1');
      await park('2', 'order-2');
      await db.dataSource.transaction(async (first) => {
        const held = await lockDueParkedHead(first, 'g');
        const other = await db.dataSource.transaction((second) => lockDueParkedHead(second, 'g'));
        expect([held?.offset, other?.offset]).toEqual(['1', '2']);
      });
    });

    it('reschedules a failed retry into the future with its new attempt count and error', async () => {
      await park('1', 'order-1');
      const m = db.dataSource.manager;
      const head = await lockDueParkedHead(m, 'g');
      await rescheduleParked(m, head!.id, 4, 'TransientError: still away', 60_000);
      expect(await lockDueParkedHead(m, 'g')).toBeUndefined();
      const res = await db.sql.query<{ attempts: number; last_error: string }>(
        'SELECT attempts, last_error FROM parked',
      );
      expect(res.rows).toEqual([{ attempts: 4, last_error: 'TransientError: still away' }]);
    });
  });
});
