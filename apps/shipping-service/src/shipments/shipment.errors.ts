import { type ErrorCode } from '@rxbridge/contracts';
import { PermanentError } from '@rxbridge/service-kit';

/**
 * The shipping domain's error codes as data. `kind` says what the edge should make of it (REST: not-found
 * → 404, conflict → 409, invalid → 422; Kafka: all permanent → dead letter). Messages are fixed texts:
 * they never contain a submitted value or patient data.
 */
export const SHIPMENT_ERRORS = {
  order_not_found: {
    kind: 'not-found',
    message: 'shipping-service knows no order with this uid (not received from pharmacy.orders.v1)',
  },
  shipment_not_found: {
    kind: 'not-found',
    message: 'no shipment for this order: the order is unknown or not ready yet',
  },
  order_cancelled: {
    kind: 'conflict',
    message: 'the order is cancelled: nothing may be shipped or handed over',
  },
  order_not_ready: {
    kind: 'conflict',
    message: 'the order is not ready_for_pickup yet: record its shipment once it is packed',
  },
  delivery_type_mismatch: {
    kind: 'conflict',
    message:
      "the command does not fit the order's delivery type (shipment for pickup or hand-over for shipping)",
  },
  shipment_already_dispatched: {
    kind: 'conflict',
    message: 'the order has already left with another carrier or tracking number; one shipment per order',
  },
  shipment_not_dispatched: { kind: 'conflict', message: 'the shipment has not been dispatched yet' },
  transition_not_allowed: { kind: 'conflict', message: "the shipment's state does not allow this command" },
  tracking_url_contains_patient_data: {
    kind: 'invalid',
    message:
      "tracking_url contains part of the patient's delivery address; use the carrier's plain tracking link",
  },
  delivered_in_future: { kind: 'invalid', message: 'delivered_at lies in the future' },
} as const satisfies Partial<Record<ErrorCode, { kind: ShipmentErrorKind; message: string }>>;

export type ShipmentErrorKind = 'not-found' | 'conflict' | 'invalid';
export type ShipmentErrorCode = keyof typeof SHIPMENT_ERRORS;

/** A refused shipping command or event. Permanent: repeating it cannot succeed. */
export class ShipmentError extends PermanentError {
  override readonly code: ShipmentErrorCode;
  readonly kind: ShipmentErrorKind;

  constructor(code: ShipmentErrorCode) {
    super(SHIPMENT_ERRORS[code].message, code);
    this.name = 'ShipmentError';
    this.code = code;
    this.kind = SHIPMENT_ERRORS[code].kind;
  }
}
