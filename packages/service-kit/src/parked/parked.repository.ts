import { type EntityManager } from 'typeorm';
import { type ReceivedRecord } from '../kafka/received-record.js';

/**
 * The `parked` table (inbox.migration.ts): records that failed transiently past their in-place tries, and
 * records of the same key queued behind them. Every function runs in the caller's transaction (or, given a
 * data source's manager, on its own).
 */
export interface ParkedRow {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  record_key: string | null;
  record_value: Buffer | null;
  headers: Record<string, string>;
  attempts: number;
}

export interface NewParkedRecord {
  group: string;
  record: ReceivedRecord;
  eventId: string;
  attempts: number;
  error: string | null;
  /** Parked only because an earlier record of its key is parked, not for a failure of its own. */
  behindKey: boolean;
  delayMs: number;
}

export async function insertParked(manager: EntityManager, parked: NewParkedRecord): Promise<void> {
  const { record } = parked;
  await manager.query(
    `INSERT INTO parked (consumer_group, topic, partition, "offset", record_key, record_value, headers, event_id, attempts, last_error,
                         behind_key, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, clock_timestamp() + $12 * interval '1 millisecond')`,
    [
      parked.group,
      record.topic,
      record.partition,
      record.offset,
      record.key,
      record.value,
      JSON.stringify(record.headers),
      parked.eventId,
      parked.attempts,
      parked.error,
      parked.behindKey,
      parked.delayMs,
    ],
  );
}

/**
 * Locks the oldest due parked record that heads its key (no older row of the same key), skipping rows another
 * replica holds, so several replicas retry in parallel without breaking a key's order.
 */
export async function lockDueParkedHead(
  manager: EntityManager,
  group: string,
): Promise<ParkedRow | undefined> {
  const rows = await manager.query<ParkedRow[]>(
    `SELECT id, topic, partition, "offset", record_key, record_value, headers, attempts FROM parked p
     WHERE consumer_group = $1 AND next_attempt_at <= clock_timestamp()
       AND NOT EXISTS (SELECT 1 FROM parked q WHERE q.consumer_group = p.consumer_group AND q.topic = p.topic
                       AND q.record_key = p.record_key AND q.id < p.id)
     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [group],
  );
  return rows[0];
}

export async function deleteParked(manager: EntityManager, id: string): Promise<void> {
  await manager.query('DELETE FROM parked WHERE id = $1', [id]);
}

export async function rescheduleParked(
  manager: EntityManager,
  id: string,
  attempts: number,
  error: string,
  delayMs: number,
): Promise<void> {
  await manager.query(
    `UPDATE parked SET attempts = $2, last_error = $3, next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond' WHERE id = $1`,
    [id, attempts, error, delayMs],
  );
}

export function parkedToRecord(row: ParkedRow): ReceivedRecord {
  return {
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    key: row.record_key,
    value: row.record_value,
    headers: row.headers,
  };
}
