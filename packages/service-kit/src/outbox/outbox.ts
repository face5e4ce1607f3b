import { CloudEventSchema, type CloudEvent } from '@rxbridge/contracts';
import { type EntityManager } from 'typeorm';
import { PermanentError } from '../kafka/failure.js';
import { outgoingTraceHeaders } from '../tracing/trace-context.js';

export interface OutboxMessage {
  topic: string;
  /** Records of one key reach Kafka in enqueue order. */
  key: string;
  /** Validated against the CloudEvent envelope at enqueue time. */
  event: CloudEvent;
  /**
   * String values only. `traceparent` and `correlationid` default to the current trace scope (a new trace
   * outside any scope); a value given here wins.
   */
  headers?: Record<string, string>;
}

/**
 * Queues events for publication inside the caller's transaction: they reach Kafka only if it commits.
 * The event is checked against the CloudEvent envelope here, so a malformed event fails the transaction
 * that made it instead of the relay later.
 */
export async function enqueueEvents(
  manager: EntityManager,
  messages: readonly OutboxMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const params: unknown[] = [];
  await manager.query(outboxInsert(messages, params), params);
}

/**
 * The INSERT of these messages into the outbox, its parameters appended to `params` (so that it can share one
 * statement with other writes, see `effectsCtes`). With `when` (an SQL condition), the rows are inserted only
 * where it holds. Throws for a message that is not a valid event.
 */
export function outboxInsert(messages: readonly OutboxMessage[], params: unknown[], when?: string): string {
  const rows: string[] = [];
  for (const m of messages) {
    if (!m.topic || !m.key)
      throw new PermanentError('outbox message needs a topic and a key', 'outbox_invalid');
    const parsed = CloudEventSchema.safeParse(m.event);
    if (!parsed.success) {
      throw new PermanentError(
        `outbox event is not a CloudEvent: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
        'outbox_invalid',
      );
    }
    const n = params.length;
    rows.push(`($${n + 1}, $${n + 2}, $${n + 3}::jsonb, $${n + 4}::jsonb)`);
    // The relay publishes outside the handler's trace scope, so the scope's headers are stored with the row.
    const headers = { ...outgoingTraceHeaders(), ...m.headers };
    params.push(m.topic, m.key, JSON.stringify(parsed.data), JSON.stringify(headers));
  }
  return insertRows('outbox', ['topic', 'key', 'value', 'headers'], rows, when);
}

/** `INSERT INTO table (columns) VALUES rows`, or with `when`, the same rows only where the condition holds. */
export function insertRows(
  table: string,
  columns: readonly string[],
  rows: readonly string[],
  when?: string,
): string {
  const names = columns.join(', ');
  return when === undefined
    ? `INSERT INTO ${table} (${names}) VALUES ${rows.join(', ')}`
    : `INSERT INTO ${table} (${names}) SELECT * FROM (VALUES ${rows.join(', ')}) AS v(${names}) WHERE ${when}`;
}

export function enqueueEvent(manager: EntityManager, message: OutboxMessage): Promise<void> {
  return enqueueEvents(manager, [message]);
}
