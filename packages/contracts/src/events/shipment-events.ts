import { z } from 'zod';
import { Reason, Timestamp, Uid } from './event-parts.js';

/**
 * Payloads of `pharmacy.shipments.v1`, keyed by the pharmacy order uid. The delivery address stays in
 * shipping-service's own schema and never travels on the topic.
 */

const Tracking = {
  carrier: z.string().min(1).max(100).describe('carrier name or product, e.g. GLS, DHL'),
  tracking_number: z.string().min(1).max(200),
  tracking_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable(),
};

export const ShipmentRecorded = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid,
    ...Tracking,
    recorded_at: Timestamp,
  })
  .meta({
    description: 'The shipping desk recorded a shipment for the order; it has not left the pharmacy yet.',
  });
export type ShipmentRecorded = z.infer<typeof ShipmentRecorded>;

export const ShipmentDispatched = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid,
    ...Tracking,
    dispatched_at: Timestamp,
  })
  .meta({
    description: 'The shipment left the pharmacy with the carrier; RxScale is told and the order completes.',
  });
export type ShipmentDispatched = z.infer<typeof ShipmentDispatched>;

export const ShipmentStopped = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid,
    reason: Reason,
    stopped_at: Timestamp,
  })
  .meta({ description: 'A shipment that had not left yet was stopped (the order was cancelled).' });
export type ShipmentStopped = z.infer<typeof ShipmentStopped>;

export const ShipmentFlagged = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid,
    ...Tracking,
    reason: Reason,
    flagged_at: Timestamp,
  })
  .meta({
    description:
      'The order was cancelled after its shipment left: someone has to recall it with the carrier.',
  });
export type ShipmentFlagged = z.infer<typeof ShipmentFlagged>;
