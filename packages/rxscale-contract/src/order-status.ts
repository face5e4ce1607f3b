import { z } from 'zod';

/**
 * Pharmacy-order statuses of the newest docs revision (API.md §9). The strings mix spaces, hyphens and
 * underscores; they are compared exactly. An unknown value fails parsing: DESIGN.md §11 says such an
 * event is recorded and dead-lettered, never mapped to a guess.
 */
export const PHARMACY_ORDER_STATUSES = [
  'init',
  'waiting for pharmacy',
  'pending review',
  'on-hold',
  'in-progress',
  'ready_for_pickup',
  'completed',
  'cancelled',
] as const;

export const PharmacyOrderStatus = z.enum(PHARMACY_ORDER_STATUSES, {
  // The refused value is not quoted: errors reach logs, and a misplaced field could hold patient data.
  // The dead letter keeps the original record for whoever must see it.
  error: () => `unknown pharmacy order status; expected one of: ${PHARMACY_ORDER_STATUSES.join(', ')}`,
});
export type PharmacyOrderStatus = z.infer<typeof PharmacyOrderStatus>;

/**
 * Statuses the pharmacy may send to `PATCH …/status` (API.md §7.4). `completed` is reached only through
 * `complete_order`; `init` and `waiting for pharmacy` are set by RxScale.
 */
export const PHARMACY_SETTABLE_STATUSES = [
  'pending review',
  'on-hold',
  'in-progress',
  'ready_for_pickup',
  'cancelled',
] as const satisfies readonly PharmacyOrderStatus[];

export const PharmacySettableStatus = z.enum(PHARMACY_SETTABLE_STATUSES, {
  error: (issue) =>
    `status ${JSON.stringify(issue.input)} cannot be set through PATCH /status; allowed: ${PHARMACY_SETTABLE_STATUSES.join(', ')}` +
    ' (completed only through complete_order)',
});
export type PharmacySettableStatus = z.infer<typeof PharmacySettableStatus>;

/**
 * The transitions the pharmacy may make through `PATCH …/status`, per current status. The docs leave
 * server-side enforcement open (API.md §9, §14.4); this is our reading of the lifecycle guide, recorded in
 * docs/design.md §12 (issue 3, contract):
 * - the happy path waiting for pharmacy → pending review → in-progress → ready_for_pickup;
 * - `on-hold` (comment required) from any open status the pharmacy handles; leaving it goes back to
 *   `pending review` or `in-progress`;
 * - `cancelled` from any status before completion ("before completion" in the guide's text);
 * - `init` belongs to RxScale, `completed` and `cancelled` are final.
 * The sandbox enforces this map and order-service checks it before sending.
 */
export const PHARMACY_STATUS_TRANSITIONS: Readonly<
  Record<PharmacyOrderStatus, readonly PharmacySettableStatus[]>
> = {
  init: [],
  'waiting for pharmacy': ['pending review', 'on-hold', 'cancelled'],
  'pending review': ['in-progress', 'on-hold', 'cancelled'],
  'on-hold': ['pending review', 'in-progress', 'cancelled'],
  'in-progress': ['ready_for_pickup', 'on-hold', 'cancelled'],
  ready_for_pickup: ['on-hold', 'cancelled'],
  completed: [],
  cancelled: [],
};

/** Statuses from which `complete_order` is accepted (API.md §7.5: "typically from ready_for_pickup"). */
export const COMPLETE_ORDER_ALLOWED_FROM: readonly PharmacyOrderStatus[] = ['ready_for_pickup'];

/** Whether the pharmacy may move an order from `from` to `to` with `PATCH …/status`. */
export function isAllowedStatusTransition(from: PharmacyOrderStatus, to: PharmacyOrderStatus): boolean {
  return (PHARMACY_STATUS_TRANSITIONS[from] as readonly PharmacyOrderStatus[]).includes(to);
}
