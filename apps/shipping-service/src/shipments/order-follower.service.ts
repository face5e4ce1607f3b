import { Inject, Injectable } from '@nestjs/common';
import { type OrderCancelled, type OrderReadyForPickup, type OrderReceived } from '@rxbridge/contracts';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { SHIPPING_CONFIG, type ShippingConfig } from '../config/shipping-service-config.js';
import { type DeliveryAddress } from './delivery-address.js';
import { FLAGGED_AFTER_HAND_OVER_REASON, FLAGGED_REASON, STOPPED_REASON } from './shipment-events.js';
import { decideTransition, type Fulfilment } from './shipment-lifecycle.js';
import { writeTransition } from './shipment-transition.js';
import { ShipmentError } from './shipment.errors.js';
import { ShipmentRepository, type Shipment } from './shipment.repository.js';

export interface OrderReadyInput {
  ready: OrderReadyForPickup;
  /** From DeliveryAddressSource, fetched by the edge for orders that ship; ignored for pickup orders. */
  deliveryAddress: DeliveryAddress | null;
}

export type OrderReceivedResult = { outcome: 'remembered' | 'already-known'; fulfilment: Fulfilment };
export type OrderReadyResult =
  | { outcome: 'expecting'; shipment: Shipment }
  | { outcome: 'already-expected'; shipment: Shipment }
  | { outcome: 'order-cancelled' };
export type OrderCancelledResult =
  | { outcome: 'stopped' | 'flagged' | 'already-closed'; shipment: Shipment }
  | { outcome: 'no-shipment' | 'unknown-order' | 'already-cancelled' };

/** What shipping-service does with pharmacy.orders.v1: expect, stop or flag the order's shipment. */
@Injectable()
export class OrderFollowerService {
  constructor(
    private readonly repository: ShipmentRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SHIPPING_CONFIG) private readonly config: Pick<ShippingConfig, 'pickupDeliveryTypes'>,
  ) {}

  /**
   * Remembers the order and how it will leave: a hand-over for a pickup delivery type, else a shipment
   * (no delivery_type means RxScale's default, shipping). `received` carries no patient data by design.
   */
  async orderReceived(manager: EntityManager, received: OrderReceived): Promise<OrderReceivedResult> {
    const deliveryType = received.delivery_type ?? null;
    const fulfilment: Fulfilment =
      deliveryType !== null && this.config.pickupDeliveryTypes.includes(deliveryType.toLowerCase())
        ? 'hand-over'
        : 'shipment';
    const inserted = await this.repository.insertOrder(manager, {
      pharmacyOrderUid: received.pharmacy_order_uid,
      pharmacyUid: received.pharmacy_uid,
      deliveryType,
      fulfilment,
      receivedAt: this.clock.now(),
    });
    if (inserted) return { outcome: 'remembered', fulfilment };
    const known = await this.repository.findOrder(manager, received.pharmacy_order_uid);
    return { outcome: 'already-known', fulfilment: known!.fulfilment };
  }

  /**
   * Whether `orderReady` will keep a delivery address for this order: the Kafka edge asks before fetching
   * one from DeliveryAddressSource, so no address crosses the wire for pickup, cancelled, unknown or
   * already expected orders.
   */
  async wantsDeliveryAddress(manager: EntityManager, pharmacyOrderUid: string): Promise<boolean> {
    const order = await this.repository.findOrder(manager, pharmacyOrderUid);
    return order !== null && order.status === 'received' && order.fulfilment === 'shipment';
  }

  /**
   * The order is packed: expect its shipment (or hand-over) and keep the delivery address, encrypted, for
   * orders that ship. An order never received is refused (order_not_found, a dead letter: events of one
   * order arrive in order, so `received` should have come first).
   */
  async orderReady(manager: EntityManager, input: OrderReadyInput): Promise<OrderReadyResult> {
    const uid = input.ready.pharmacy_order_uid;
    const order = await this.repository.findOrder(manager, uid, { lock: true });
    if (!order) throw new ShipmentError('order_not_found');
    if (order.status === 'cancelled') return { outcome: 'order-cancelled' };
    const existing = await this.repository.findShipmentByOrder(manager, uid);
    // ready again (after an on-hold, or a replay): the one shipment of the order is already expected
    if (existing) return { outcome: 'already-expected', shipment: existing };

    const now = this.clock.now();
    await this.repository.setOrderStatus(manager, uid, 'ready', now);
    const shipment = await this.repository.insertShipment(manager, {
      pharmacyOrderUid: uid,
      pharmacyUid: order.pharmacyUid,
      fulfilment: order.fulfilment,
      expectedAt: now,
    });
    await this.repository.appendHistory(manager, {
      shipmentUid: shipment.shipmentUid,
      pharmacyOrderUid: uid,
      fromState: null,
      toState: 'expected',
      trigger: 'expect',
      initiator: 'rxbridge',
      reason: null,
      at: now,
    });
    if (order.fulfilment === 'shipment' && input.deliveryAddress !== null) {
      await this.repository.storeDeliveryAddress(manager, uid, input.deliveryAddress, now);
    }
    return { outcome: 'expecting', shipment };
  }

  /**
   * A cancelled order must not leave (API.md §9): a pending shipment is stopped
   * (`pharmacy.shipment.stopped`); one that already left, or a pickup already collected, is flagged for a
   * person (`pharmacy.shipment.flagged`, and visible on the shipment).
   */
  async orderCancelled(manager: EntityManager, cancelled: OrderCancelled): Promise<OrderCancelledResult> {
    const uid = cancelled.pharmacy_order_uid;
    const order = await this.repository.findOrder(manager, uid, { lock: true });
    // Nothing to stop for an order shipping-service never saw; a later desk command finds no order.
    if (!order) return { outcome: 'unknown-order' };
    const now = this.clock.now();
    const wasCancelled = order.status === 'cancelled';
    if (!wasCancelled) await this.repository.setOrderStatus(manager, uid, 'cancelled', now);
    const shipment = await this.repository.findShipmentByOrder(manager, uid);
    if (!shipment) return { outcome: wasCancelled ? 'already-cancelled' : 'no-shipment' };

    const decision = decideTransition(shipment, 'cancel');
    switch (decision.type) {
      case 'repeat':
        return { outcome: 'already-closed', shipment };
      case 'refuse':
        // The table allows a cancellation from every state; a refusal here is a bug in the table.
        throw new ShipmentError(decision.code);
      case 'move': {
        const reason =
          decision.to === 'stopped'
            ? STOPPED_REASON
            : shipment.state === 'handed-over'
              ? FLAGGED_AFTER_HAND_OVER_REASON
              : FLAGGED_REASON;
        const updated = await writeTransition(this.repository, manager, shipment, {
          to: decision.to,
          trigger: 'cancel',
          initiator: cancelled.initiator,
          at: now,
          reason,
        });
        return { outcome: decision.to === 'stopped' ? 'stopped' : 'flagged', shipment: updated };
      }
    }
  }
}
