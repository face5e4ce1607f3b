import { PermanentError } from '@rxbridge/service-kit';

/**
 * The shipping domain's error codes as data. `kind` says what the edge should make of it (REST: not-found
 * → 404, conflict → 409, invalid → 422; Kafka: all permanent → dead letter). Messages are fixed texts:
 * they never contain a submitted value or patient data.
 */
export const SHIPMENT_ERRORS = {
  ORDER_NOT_FOUND: {
    kind: 'not-found',
    message: 'shipping-service knows no order with this uid (not received from pharmacy.orders.v1)',
  },
  SHIPMENT_NOT_FOUND: {
    kind: 'not-found',
    message: 'no shipment for this order: the order is unknown or not ready yet',
  },
  ORDER_CANCELLED: {
    kind: 'conflict',
    message: 'the order is cancelled: nothing may be shipped or handed over',
  },
  ORDER_NOT_READY: {
    kind: 'conflict',
    message: 'the order is not ready_for_pickup yet: record its shipment once it is packed',
  },
  DELIVERY_TYPE_MISMATCH: {
    kind: 'conflict',
    message:
      "the command does not fit the order's delivery type (shipment for pickup or hand-over for shipping)",
  },
  SHIPMENT_ALREADY_DISPATCHED: {
    kind: 'conflict',
    message: 'the order has already left with another carrier or tracking number; one shipment per order',
  },
  SHIPMENT_NOT_DISPATCHED: { kind: 'conflict', message: 'the shipment has not been dispatched yet' },
  TRANSITION_NOT_ALLOWED: { kind: 'conflict', message: "the shipment's state does not allow this command" },
  TRACKING_URL_CONTAINS_PATIENT_DATA: {
    kind: 'invalid',
    message:
      "tracking_url contains part of the patient's delivery address; use the carrier's plain tracking link",
  },
  DELIVERED_IN_FUTURE: { kind: 'invalid', message: 'delivered_at lies in the future' },
} as const satisfies Record<string, { kind: ShipmentErrorKind; message: string }>;

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
