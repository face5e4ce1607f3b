import { PharmacySettableStatus } from '@rxbridge/rxscale-contract';
import { z } from 'zod';

/**
 * The RxScale commands order-service queues in service-kit's command outbox: one kind per RxScale call.
 * The payload schemas are shared by the use cases (which write them) and the executor and the settlement
 * (which read them back from the table): what was stored is parsed again where it re-enters.
 */
export const ORDER_COMMAND_KINDS = { status: 'order.status', complete: 'order.complete' } as const;

/** Among due commands, status changes go first (DESIGN.md §5), then completions. */
export const ORDER_COMMAND_PRIORITIES = { 'order.status': 20, 'order.complete': 10 } as const;

export const StatusCommandPayload = z.object({
  status: PharmacySettableStatus,
  comment: z.string().min(1).max(5000).optional(),
  /** For the `status-changed` event once RxScale confirms; not sent. */
  initiator: z.enum(['rxscale', 'rxbridge', 'pharmacy']),
});
export type StatusCommandPayload = z.infer<typeof StatusCommandPayload>;

export const CompleteCommandPayload = z.object({
  /** Local: named in `pharmacy.order.completed`; not sent. */
  shipment_uid: z.string().min(1).nullable(),
  carrier: z.string().min(1).max(100).optional(),
  tracking_number: z.string().min(1).max(200).optional(),
  tracking_url: z.string().min(1).max(2000).nullable().optional(),
});
export type CompleteCommandPayload = z.infer<typeof CompleteCommandPayload>;

export type OrderCommand =
  | { kind: 'order.status'; payload: StatusCommandPayload }
  | { kind: 'order.complete'; payload: CompleteCommandPayload };

/** The command as order-service wrote it, or null for a kind that is not ours or a payload that does not parse. */
export function parseOrderCommand(command: { kind: string; payload: unknown }): OrderCommand | null {
  if (command.kind === ORDER_COMMAND_KINDS.status) {
    const p = StatusCommandPayload.safeParse(command.payload);
    return p.success ? { kind: 'order.status', payload: p.data } : null;
  }
  if (command.kind === ORDER_COMMAND_KINDS.complete) {
    const p = CompleteCommandPayload.safeParse(command.payload);
    return p.success ? { kind: 'order.complete', payload: p.data } : null;
  }
  return null;
}

/**
 * A refusal's reason starts with the HTTP status RxScale answered (`HTTP 409: …`): service-kit's
 * CommandOutcome carries only a reason, and `pharmacy.order.transition-refused` wants the status code.
 */
export function refusalReason(status: number, text: string): string {
  return `HTTP ${status}: ${text}`;
}

export function refusalStatusCode(reason: string): number | null {
  const match = /^HTTP (\d{3})\b/.exec(reason);
  return match ? Number(match[1]) : null;
}
