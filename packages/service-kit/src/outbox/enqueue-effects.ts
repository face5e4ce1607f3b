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
  const params: unknown[] = [];
  const ctes = effectsCtes(effects, params);
  if (ctes.length === 0) return;
  await manager.query(`WITH ${ctes.join(', ')} SELECT 1`, params);
}

/**
 * The same writes as `enqueueEffects`, as data-modifying CTEs (`queued_events AS (…)`, `queued_commands AS
 * (…)`) for a service's own statement to carry, so a step's row writes and its effects are one round trip.
 * Their parameters are appended to `params`, numbered after the ones already there. With `when` (an SQL
 * condition over the statement's other CTEs, e.g. `EXISTS (SELECT 1 FROM stored)`), nothing is queued unless
 * it holds. Empty when there is nothing to queue. Throws for an invalid event or command.
 */
export function effectsCtes(effects: Effects, params: unknown[], options: { when?: string } = {}): string[] {
  const events = effects.events ?? [];
  const commands = effects.commands ?? [];
  const ctes: string[] = [];
  if (events.length > 0)
    ctes.push(`queued_events AS (${outboxInsert(events, params, options.when)} RETURNING 1)`);
  if (commands.length > 0)
    ctes.push(`queued_commands AS (${rxscaleCommandInsert(commands, params, options.when)} RETURNING 1)`);
  return ctes;
}
