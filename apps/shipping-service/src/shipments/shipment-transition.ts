import { type Initiator } from '@rxbridge/contracts';
import { enqueueEvent } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { shipmentEventFor } from './shipment-events.js';
import { CLOSED_STATES, type ShipmentState, type ShipmentTrigger } from './shipment-lifecycle.js';
import { type Shipment, type ShipmentChange, type ShipmentRepository } from './shipment.repository.js';

export interface TransitionWrite {
  to: ShipmentState;
  trigger: ShipmentTrigger;
  initiator: Initiator;
  at: Date;
  tracking?: ShipmentChange['tracking'];
  reason?: string;
}

/**
 * Writes one decided move in the caller's transaction: the shipment's row, its history line, and the
 * event of its new state into the outbox (keyed by the order uid). Shared by the desk and the order follower,
 * so every move leaves the same three traces.
 */
export async function writeTransition(
  repository: ShipmentRepository,
  manager: EntityManager,
  shipment: Shipment,
  write: TransitionWrite,
): Promise<Shipment> {
  const updated = await repository.applyChange(manager, shipment.shipmentUid, {
    state: write.to,
    at: write.at,
    closed: CLOSED_STATES.has(write.to),
    ...(write.tracking ? { tracking: write.tracking } : {}),
    ...(write.to === 'flagged' && write.reason ? { flagReason: write.reason } : {}),
  });
  await repository.appendHistory(manager, {
    shipmentUid: shipment.shipmentUid,
    pharmacyOrderUid: shipment.pharmacyOrderUid,
    fromState: shipment.state,
    toState: write.to,
    trigger: write.trigger,
    initiator: write.initiator,
    reason: write.reason ?? null,
    at: write.at,
  });
  const message = shipmentEventFor(updated, write.at);
  if (message) await enqueueEvent(manager, message);
  return updated;
}
