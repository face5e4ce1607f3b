import { ApiError, type ApiErrorDetail } from '@rxbridge/service-kit';
import { Uid } from '@rxbridge/contracts';
import { z } from 'zod';
import { DEFAULT_CARRIERS } from '../config/shipping-service-config.js';
import { FULFILMENTS, SHIPMENT_STATES, SHIPMENT_TRIGGERS } from '../shipments/shipment-lifecycle.js';
import { type Shipment, type ShipmentHistoryEntry } from '../shipments/shipment.repository.js';

/**
 * The REST edge's shapes. Bodies are parsed twice: the shape here (wrong types or unknown fields → 400 from
 * the kit's ZodBody), then the desk's rules from `shipment-input.ts` (carrier from the configured list,
 * https URL, tracking number format → 422 naming the fields, never the values: see `refuseInvalid`).
 */

export const PharmacyOrderUidParam = Uid.describe('The RxScale pharmacy order uid');

export const DispatchBody = z.strictObject({
  carrier: z
    .string()
    .max(100)
    .describe(`One of SHIPPING_CARRIERS, without case (default ${DEFAULT_CARRIERS.join(', ')})`),
  tracking_number: z.string().max(100).describe('6-50 letters, digits or inner dashes, with a digit'),
  tracking_url: z
    .string()
    .max(2000)
    .nullable()
    .optional()
    .describe("https only: the carrier's tracking link"),
});
export type DispatchBody = z.infer<typeof DispatchBody>;

export const DeliveredBody = z.strictObject({
  delivered_at: z.string().max(64).optional().describe("The carrier's delivery time (ISO 8601), else now"),
});
export type DeliveredBody = z.infer<typeof DeliveredBody>;

const Time = z.string().describe('ISO 8601');

export const ShipmentView = z.object({
  shipment_uid: z.string(),
  pharmacy_order_uid: z.string(),
  pharmacy_uid: z.string(),
  fulfilment: z.enum(FULFILMENTS),
  state: z.enum(SHIPMENT_STATES),
  carrier: z.string().nullable(),
  tracking_number: z.string().nullable(),
  tracking_url: z.string().nullable(),
  flag_reason: z.string().nullable().describe('Why a person has to act (state flagged)'),
  expected_at: Time,
  dispatched_at: Time.nullable(),
  handed_over_at: Time.nullable(),
  delivered_at: Time.nullable(),
  stopped_at: Time.nullable(),
  flagged_at: Time.nullable(),
  closed_at: Time.nullable(),
  updated_at: Time,
});
export type ShipmentView = z.infer<typeof ShipmentView>;

export const ShipmentPageView = z.object({
  items: z.array(ShipmentView),
  next_cursor: z.string().nullable(),
});

export const ShipmentWithHistoryView = ShipmentView.extend({
  history: z.array(
    z.object({
      from_state: z.enum(SHIPMENT_STATES).nullable(),
      to_state: z.enum(SHIPMENT_STATES),
      trigger: z.enum([...SHIPMENT_TRIGGERS, 'expect']),
      initiator: z.string(),
      reason: z.string().nullable(),
      at: Time,
    }),
  ),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A shipment as the desk sees it; the delivery address never leaves the service. */
export function shipmentView(s: Shipment): ShipmentView {
  return {
    shipment_uid: s.shipmentUid,
    pharmacy_order_uid: s.pharmacyOrderUid,
    pharmacy_uid: s.pharmacyUid,
    fulfilment: s.fulfilment,
    state: s.state,
    carrier: s.carrier,
    tracking_number: s.trackingNumber,
    tracking_url: s.trackingUrl,
    flag_reason: s.flagReason,
    expected_at: s.expectedAt.toISOString(),
    dispatched_at: iso(s.dispatchedAt),
    handed_over_at: iso(s.handedOverAt),
    delivered_at: iso(s.deliveredAt),
    stopped_at: iso(s.stoppedAt),
    flagged_at: iso(s.flaggedAt),
    closed_at: iso(s.closedAt),
    updated_at: s.updatedAt.toISOString(),
  };
}

export function historyView(h: ShipmentHistoryEntry) {
  return {
    from_state: h.fromState,
    to_state: h.toState,
    trigger: h.trigger,
    initiator: h.initiator,
    reason: h.reason,
    at: h.at.toISOString(),
  };
}

/**
 * Parses with the desk's rules; a refusal is 422 `invalid_request` with one detail per field (its path,
 * zod's code and the rule's fixed message: never the submitted value). The code `invalid_request` makes the
 * idempotency store release the key, so a corrected retry with the same key runs.
 */
export function refuseInvalid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details: ApiErrorDetail[] = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    issue: issue.code,
    message: issue.message,
  }));
  throw new ApiError(
    422,
    'invalid_request',
    'the request names values the shipping desk may not record',
    details,
  );
}
