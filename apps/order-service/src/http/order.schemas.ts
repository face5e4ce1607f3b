import { z } from 'zod';
import { ORDER_STATES, type OrderState } from '../orders/order-lifecycle.js';

/** zod schemas of order-service's REST edge: request parts in, answers out (snake_case, as in the events). */

export const PharmacyOrderUidParam = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be 1-200 letters, digits, ".", "_", ":" or "-"');

const StateList = z
  .string()
  .transform((text, ctx) => {
    const states = text.split(',').map((s) => s.trim());
    const unknown = states.filter((s) => !(ORDER_STATES as readonly string[]).includes(s));
    if (unknown.length > 0 || states.length === 0) {
      ctx.addIssue({ code: 'custom', message: `each state is one of: ${ORDER_STATES.join(', ')}` });
      return z.NEVER;
    }
    return states as OrderState[];
  })
  .meta({ description: `comma-separated local states: ${ORDER_STATES.join(', ')}` });

export const ListOrdersQuery = z.strictObject({
  state: StateList.optional(),
  pharmacy_uid: z.string().min(1).max(200).optional(),
  updated_since: z.iso.datetime({ offset: true }).optional(),
  updated_until: z.iso.datetime({ offset: true }).optional(),
  cursor: z
    .string()
    .max(500)
    .regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor of this list')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListOrdersParams = z.output<typeof ListOrdersQuery>;

export const HoldBody = z.strictObject({ comment: z.string().trim().min(1).max(500) });
export const CancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
/** Optional: an empty request retries too. The comment goes to the history (about states, never people). */
export const RetryBody = z
  .strictObject({ comment: z.string().trim().min(1).max(500).optional() })
  .optional()
  .meta({ description: 'optional; the comment is written to the status history with the retry' });

export const OrderSummary = z.object({
  pharmacy_order_uid: z.string(),
  pharmacy_uid: z.string(),
  order_uid: z.string(),
  name: z.string().nullable(),
  state: z.enum(ORDER_STATES),
  held_from: z.enum(ORDER_STATES).nullable(),
  rxscale_status: z.string().nullable(),
  delivery_type: z.string().nullable(),
  priority: z.number().nullable(),
  stock_policy: z.string().nullable(),
  refusal: z
    .object({ requested: z.string(), reason: z.string(), rxscale_status_code: z.number().nullable() })
    .nullable(),
  shipment_uid: z.string().nullable(),
  patient_data_purged: z.boolean(),
  received_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
});
export type OrderSummary = z.output<typeof OrderSummary>;

export const OrderList = z.object({ items: z.array(OrderSummary), next_cursor: z.string().nullable() });

const AddressOut = z.record(z.string(), z.unknown()).describe("RxScale's address fields");

export const PatientOut = z.object({
  name: z.string().nullable(),
  email: z.string().nullable(),
  date_of_birth: z.string().nullable(),
  delivery_address: AddressOut.nullable(),
});

export const OrderDetail = OrderSummary.extend({
  lines: z.array(
    z.object({
      order_item_uid: z.string(),
      sku_uid: z.string(),
      sku_name: z.string().nullable(),
      pharmacy_sku_uid: z.string().nullable(),
      external_id: z.string().nullable(),
      pzn: z.string().nullable(),
      quantity: z.number(),
    }),
  ),
  history: z.array(
    z.object({
      at: z.string(),
      trigger: z.string(),
      from_state: z.string().nullable(),
      to_state: z.string(),
      rxscale_status: z.string().nullable(),
      initiator: z.string(),
      note: z.string().nullable(),
    }),
  ),
  commands: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      requested: z.string().nullable(),
      status: z.string(),
      attempts: z.number(),
      reason: z.string().nullable(),
      created_at: z.string(),
      completed_at: z.string().nullable(),
    }),
  ),
  patient: PatientOut.optional().describe('only with the scope orders:patient-data'),
});

export const ActionResult = z.object({
  pharmacy_order_uid: z.string(),
  state: z.enum(ORDER_STATES),
  changed: z.boolean(),
});

export const DeliveryAddressOut = z.object({ address: AddressOut.nullable() });

export const PrescriptionOut = z.object({
  pharmacy_order_uid: z.string(),
  filename: z.string().nullable(),
  content_base64: z.string().nullable(),
});

export const JobRunOut = z.object({
  job: z.string(),
  ok: z.boolean(),
  started_at: z.string(),
  duration_ms: z.number(),
  summary: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
});
