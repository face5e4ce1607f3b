import { type EntityManager } from 'typeorm';
import { outboxInsert, type OutboxMessage } from './outbox.js';
import { rxscaleCommandInsert, type NewRxscaleCommand } from './rxscale-command.js';

/** What one step of a service leaves for later: events to publish and RxScale commands to run. */
export interface Effects {
  events?: readonly OutboxMessage[];
  commands?: readonly NewRxscaleCommand[];
}

/**
 * Queues a step's events and RxScale commands in the caller's transaction with one statement (one round trip
 * to PostgreSQL instead of one per table: on the order path each saved round trip is a few percent of the
 * throughput). The same checks as `enqueueEvents` and `enqueueRxscaleCommands`: an invalid event or command
 * throws before anything is written.
 */
export async function enqueueEffects(manager: EntityManager, effects: Effects): Promise<void> {
  const events = effects.events ?? [];
  const commands = effects.commands ?? [];
  if (events.length === 0 && commands.length === 0) return;
  const params: unknown[] = [];
  const outbox = events.length > 0 ? outboxInsert(events, params) : undefined;
  const queue = commands.length > 0 ? rxscaleCommandInsert(commands, params) : undefined;
  const sql = outbox && queue ? `WITH queued_events AS (${outbox} RETURNING 1) ${queue}` : (outbox ?? queue)!;
  await manager.query(sql, params);
}
