import { buildEvent, eventRoute, EventSources, type PharmacyEvent } from '@rxbridge/contracts';
import { type OutboxMessage } from '@rxbridge/service-kit';
import { type Shipment } from './shipment.repository.js';

/** Fixed reasons: a shipment event never carries free text that could hold a name (contracts, `Reason`). */
export const STOPPED_REASON = 'order cancelled before the shipment left the pharmacy';
export const FLAGGED_REASON = 'order cancelled after the shipment left: recall it with the carrier';
export const FLAGGED_AFTER_HAND_OVER_REASON = 'order cancelled after the patient collected it';

function message(event: PharmacyEvent): OutboxMessage {
  const { topic, key } = eventRoute(event);
  return { topic, key, event };
}

/**
 * The `pharmacy.shipments.v1` event a shipment's new state publishes. `at` is when the change happened (the
 * state's own timestamp). `expected` publishes nothing: `pharmacy.shipment.recorded` has no state here
 * (docs/design.md, "Recording before ready is refused"). A pickup order flagged after its hand-over is
 * published without tracking.
 */
export function shipmentEventFor(shipment: Shipment, at: Date): OutboxMessage | null {
  const base = {
    pharmacy_uid: shipment.pharmacyUid,
    pharmacy_order_uid: shipment.pharmacyOrderUid,
    shipment_uid: shipment.shipmentUid,
  };
  const options = { source: EventSources.shippingService, time: at };
  const when = at.toISOString();
  const tracking =
    shipment.carrier !== null && shipment.trackingNumber !== null
      ? {
          carrier: shipment.carrier,
          tracking_number: shipment.trackingNumber,
          tracking_url: shipment.trackingUrl,
        }
      : null;
  switch (shipment.state) {
    case 'dispatched':
      if (tracking === null) throw new Error('a dispatched shipment has a carrier and tracking number');
      return message(
        buildEvent('pharmacy.shipment.dispatched', { ...base, ...tracking, dispatched_at: when }, options),
      );
    case 'stopped':
      return message(
        buildEvent(
          'pharmacy.shipment.stopped',
          { ...base, reason: STOPPED_REASON, stopped_at: when },
          options,
        ),
      );
    case 'flagged':
      return message(
        buildEvent(
          'pharmacy.shipment.flagged',
          {
            ...base,
            ...(tracking ?? { carrier: null, tracking_number: null, tracking_url: null }),
            reason: shipment.flagReason ?? FLAGGED_REASON,
            flagged_at: when,
          },
          options,
        ),
      );
    case 'handed-over':
      return message(buildEvent('pharmacy.shipment.handed-over', { ...base, handed_over_at: when }, options));
    case 'delivered':
      if (tracking === null) throw new Error('a delivered shipment has a carrier and tracking number');
      return message(
        buildEvent(
          'pharmacy.shipment.delivered',
          {
            ...base,
            carrier: tracking.carrier,
            tracking_number: tracking.tracking_number,
            delivered_at: when,
          },
          options,
        ),
      );
    case 'expected':
      return null;
  }
}
