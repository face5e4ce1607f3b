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
    // Nullable since a pickup order handed over to the patient has no carrier or tracking number (v1 had
    // no consumer outside RxBridge when this was relaxed).
    carrier: Tracking.carrier.nullable(),
    tracking_number: Tracking.tracking_number.nullable(),
    tracking_url: Tracking.tracking_url,
    reason: Reason,
    flagged_at: Timestamp,
  })
  .meta({
    description:
      'The order was cancelled after its shipment left (or after the patient collected it): a person has to act.',
  });
export type ShipmentFlagged = z.infer<typeof ShipmentFlagged>;

export const ShipmentHandedOver = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid,
    handed_over_at: Timestamp,
  })
  .meta({
    description:
      'The patient collected a pickup order at the pharmacy; RxScale is told and the order completes.',
  });
export type ShipmentHandedOver = z.infer<typeof ShipmentHandedOver>;

export const ShipmentDelivered = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    shipment_uid: Uid,
    carrier: Tracking.carrier,
    tracking_number: Tracking.tracking_number,
    delivered_at: Timestamp,
  })
  .meta({ description: 'The carrier delivered the shipment to the patient.' });
export type ShipmentDelivered = z.infer<typeof ShipmentDelivered>;
