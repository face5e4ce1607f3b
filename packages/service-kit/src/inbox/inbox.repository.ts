import { type EntityManager } from 'typeorm';

/** One consumed event, as the inbox records it (the `inbox` table of inbox.migration.ts). */
export interface InboxEntry {
  eventId: string;
  /** RxScale's delivery identity, the inbox's second key; null for RxBridge's own events. */
  dedupKey: string | null;
  eventType: string;
  group: string;
  topic: string;
  partition: number;
  offset: string;
  /** The record key; with `unlessKeyParked`, a parked record of this key makes the claim wait. */
  key: string | null;
}

/**
 * `claimed`: first sight, run the handler; `duplicate`: seen before (by event id or dedup key), skip it;
 * `waiting`: the key has a parked record, so this one must be parked behind it (a key's order survives parking).
 */
export type InboxClaim = 'claimed' | 'duplicate' | 'waiting';

/**
 * Claims an event in the inbox, inside the caller's transaction, in one round trip: the "is the key waiting
 * behind a parked record" check and the insert. The row commits with the handler's writes, or not at all.
 */
export async function claimInInbox(
  manager: EntityManager,
  entry: InboxEntry,
  options: { unlessKeyParked: boolean },
): Promise<InboxClaim> {
  const [claim] = await manager.query<{ waiting: boolean; inserted: number }[]>(
    `WITH waiting AS (
       SELECT $9::boolean AND EXISTS (
         SELECT 1 FROM parked WHERE consumer_group = $4 AND topic = $5 AND record_key = $8) AS w),
     claimed AS (
       INSERT INTO inbox (event_id, dedup_key, event_type, consumer_group, topic, partition, "offset")
       SELECT $1, $2, $3, $4, $5, $6::integer, $7::bigint WHERE NOT (SELECT w FROM waiting)
       ON CONFLICT DO NOTHING RETURNING 1)
     SELECT (SELECT w FROM waiting) AS waiting, (SELECT count(*) FROM claimed)::int AS inserted`,
    [
      entry.eventId,
      entry.dedupKey,
      entry.eventType,
      entry.group,
      entry.topic,
      entry.partition,
      entry.offset,
      entry.key,
      options.unlessKeyParked,
    ],
  );
  if (claim!.waiting) return 'waiting';
  return claim!.inserted === 0 ? 'duplicate' : 'claimed';
}
