import { type EntityManager } from 'typeorm';
import { z } from 'zod';
import { PermanentError } from '../kafka/failure.js';
import { outgoingTraceHeaders } from '../tracing/trace-context.js';
import { insertRows } from './outbox.js';

/** One intended change at RxScale, as queued by a service (DESIGN.md §4: rows first, actions second). */
export const NewRxscaleCommandSchema = z.object({
  /** e.g. 'order.status', 'order.complete', 'sku.stock' */
  kind: z.string().min(1),
  /** The RxScale object the command changes; commands of one target run in enqueue order. */
  targetUid: z.string().min(1),
  payload: z.unknown(),
  /** Higher runs first among due commands (DESIGN.md §5: status changes before stock pushes). */
  priority: z.number().int().default(0),
  pharmacyUid: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
export type NewRxscaleCommand = z.input<typeof NewRxscaleCommandSchema>;

export type RxscaleCommandStatus = 'pending' | 'done' | 'refused' | 'failed';

export interface RxscaleCommand {
  id: string;
  kind: string;
  targetUid: string;
  payload: unknown;
  priority: number;
  pharmacyUid: string | null;
  status: RxscaleCommandStatus;
  attempts: number;
  reason: string | null;
  headers: Record<string, string>;
  createdAt: Date;
}

/** Queues RxScale commands in the caller's transaction; they run only if it commits. Returns their ids. */
export async function enqueueRxscaleCommands(
  manager: EntityManager,
  commands: readonly NewRxscaleCommand[],
): Promise<string[]> {
  if (commands.length === 0) return [];
  const params: unknown[] = [];
  const rows = await manager.query<{ id: string }[]>(
    `${rxscaleCommandInsert(commands, params)} RETURNING id`,
    params,
  );
  return rows.map((r) => r.id);
}

/**
 * The INSERT of these commands, its parameters appended to `params` (see `effectsCtes`). Rows are inserted
 * in list order, so their ids (and so the order commands of one target run in) follow it. With `when` (an SQL
 * condition), they are inserted only where it holds. Throws for an invalid command.
 */
export function rxscaleCommandInsert(
  commands: readonly NewRxscaleCommand[],
  params: unknown[],
  when?: string,
): string {
  const rows: string[] = [];
  for (const input of commands) {
    const parsed = NewRxscaleCommandSchema.safeParse(input);
    if (!parsed.success) {
      throw new PermanentError(
        `invalid RxScale command: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
        'command_invalid',
      );
    }
    const c = parsed.data;
    const n = params.length;
    rows.push(`($${n + 1}, $${n + 2}, $${n + 3}::jsonb, $${n + 4}::integer, $${n + 5}, $${n + 6}::jsonb)`);
    params.push(
      c.kind,
      c.targetUid,
      JSON.stringify(c.payload ?? null),
      c.priority,
      c.pharmacyUid ?? null,
      // executed later by the command relay, outside this scope: it runs the call under these headers
      JSON.stringify({ ...outgoingTraceHeaders(), ...c.headers }),
    );
  }
  return insertRows(
    'rxscale_command',
    ['kind', 'target_uid', 'payload', 'priority', 'pharmacy_uid', 'headers'],
    rows,
    when,
  );
}

export async function enqueueRxscaleCommand(
  manager: EntityManager,
  command: NewRxscaleCommand,
): Promise<string> {
  const [id] = await enqueueRxscaleCommands(manager, [command]);
  return id!;
}
