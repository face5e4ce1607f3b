import { type DomainErrorStatuses } from '@rxbridge/service-kit';
import { SHIPMENT_ERRORS, type ShipmentErrorKind } from '../shipments/shipment.errors.js';

const KIND_STATUS: Record<ShipmentErrorKind, number> = { 'not-found': 404, conflict: 409, invalid: 422 };

/** The one translation of the shipping domain's errors to HTTP: each code by its kind. */
export const SHIPMENT_ERROR_STATUSES: DomainErrorStatuses = Object.fromEntries(
  Object.entries(SHIPMENT_ERRORS).map(([code, { kind }]) => [code, KIND_STATUS[kind]]),
);
