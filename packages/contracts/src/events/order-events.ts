import { z } from 'zod';
import { Initiator, PharmacyOrderStatus, Pzn, Quantity, Reason, Timestamp, Uid } from './event-parts.js';

/** Payloads of `pharmacy.orders.v1`, keyed by the pharmacy order uid. */

export const OrderLine = z.object({
  order_item_uid: Uid,
  sku_uid: Uid.describe("RxScale's catalogue SKU uid"),
  pharmacy_sku_uid: Uid.nullable().describe("the pharmacy's SKU uid at RxScale; null when RxScale sent none"),
  external_id: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .describe('the PMS article id, when RxScale knows it'),
  pzn: Pzn.nullable(),
  quantity: Quantity,
});
export type OrderLine = z.infer<typeof OrderLine>;

export const OrderReceived = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    order_uid: Uid.describe("RxScale's uid of the patient's order behind this pharmacy order"),
    name: z.string().min(1).max(200).describe('the pharmacy order name, e.g. PO-XXXX-XXXX-XXXX'),
    status: PharmacyOrderStatus.describe('the RxScale status when RxBridge took the order in'),
    priority: z.number().int().nullable().optional(),
    delivery_type: z
      .string()
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .describe('delivery_type.identifier, e.g. shipping'),
    lines: z.array(OrderLine).min(1),
    received_at: Timestamp,
  })
  .meta({
    description:
      'RxBridge took in a new pharmacy order from RxScale. No patient data: fetch it from order-service.',
  });
export type OrderReceived = z.infer<typeof OrderReceived>;

export const OrderStatusChanged = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    from: PharmacyOrderStatus.nullable().describe('null when the previous status was unknown'),
    to: PharmacyOrderStatus,
    reason: Reason.optional().describe('the comment sent with on-hold, or why the status changed'),
    initiator: Initiator,
    changed_at: Timestamp,
  })
  .refine((v) => v.from !== v.to, { message: 'from and to must differ', path: ['to'] })
  .meta({
    description: 'The order moved to another RxScale status (every move, including on-hold and back).',
  });
export type OrderStatusChanged = z.infer<typeof OrderStatusChanged>;

export const OrderReadyForPickup = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    initiator: Initiator,
    ready_at: Timestamp,
  })
  .meta({
    description: 'The pharmacy packed the order: ready for the patient or for handover to the carrier.',
  });
export type OrderReadyForPickup = z.infer<typeof OrderReadyForPickup>;

export const OrderCompleted = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid.nullable().optional().describe('the shipment reported with complete_order, if any'),
    completed_at: Timestamp,
  })
  .meta({
    description:
      'RxScale acknowledged complete_order: the order is finished and its stock is to be deducted.',
  });
export type OrderCompleted = z.infer<typeof OrderCompleted>;

export const OrderCancelled = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    previous_status: PharmacyOrderStatus.nullable(),
    initiator: Initiator,
    reason: Reason.optional(),
    cancelled_at: Timestamp,
  })
  .meta({
    description:
      'The order was cancelled (by RxScale, or by the pharmacy): stop picking, release stock, stop shipment.',
  });
export type OrderCancelled = z.infer<typeof OrderCancelled>;

export const OrderTransitionRefused = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    from: PharmacyOrderStatus.nullable(),
    requested: z.union([PharmacyOrderStatus, z.literal('complete_order')]),
    refused_by: z
      .enum(['state-machine', 'rxscale'])
      .describe('our own state machine, or RxScale answering 400/409/422'),
    reason: Reason,
    rxscale_status_code: z.number().int().min(100).max(599).nullable().optional(),
    refused_at: Timestamp,
  })
  .meta({
    description: 'A status change was refused and will not be retried; an operator has to look at the order.',
  });
export type OrderTransitionRefused = z.infer<typeof OrderTransitionRefused>;
