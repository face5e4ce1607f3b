import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { type DeliveryAddress } from './delivery-address.js';
import {
  type MarkDeliveredInput,
  type RecordHandOverInput,
  type RecordShipmentInput,
} from './shipment-input.js';
import { decideTransition, type ShipmentTrigger } from './shipment-lifecycle.js';
import { writeTransition } from './shipment-transition.js';
import { ShipmentError } from './shipment.errors.js';
import { ShipmentRepository, type Shipment, type ShippingOrder } from './shipment.repository.js';

/** A desk command's result; `replayed` when it repeated what was already recorded and changed nothing. */
export interface DeskResult {
  shipment: Shipment;
  replayed: boolean;
}

/** Parts of an address long enough to be told apart from an ordinary word or number in a URL. */
function addressParts(address: DeliveryAddress): string[] {
  return [address.first_name, address.last_name, address.street, address.zip_code, address.city]
    .map((v) => v?.trim().toLowerCase() ?? '')
    .filter((v) => v.length >= 3);
}

function urlContainsAddress(url: string, address: DeliveryAddress): boolean {
  let text: string;
  try {
    text = decodeURIComponent(url).toLowerCase();
  } catch {
    text = url.toLowerCase();
  }
  return addressParts(address).some((part) => text.includes(part));
}

/** The shipping desk's commands: what left, what was collected, what arrived. */
@Injectable()
export class ShipmentDeskService {
  constructor(
    private readonly repository: ShipmentRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The parcel left with a carrier: `pharmacy.shipment.dispatched`, which order-service turns into
   * complete_order with the tracking details (DESIGN.md §11). Refused before the order is ready, for an
   * unknown or cancelled order, and for a pickup order. Repeating the same carrier and tracking is a no-op;
   * a different one for an order that already left is refused (one shipment per order).
   */
  async recordShipment(manager: EntityManager, input: RecordShipmentInput): Promise<DeskResult> {
    const { order, shipment } = await this.orderAndShipment(manager, input.pharmacy_order_uid, 'dispatch');
    const decision = decideTransition(shipment, 'dispatch');
    switch (decision.type) {
      case 'refuse':
        throw new ShipmentError(decision.code);
      case 'repeat': {
        const same =
          shipment.carrier === input.carrier &&
          shipment.trackingNumber === input.tracking_number &&
          shipment.trackingUrl === input.tracking_url;
        if (!same) throw new ShipmentError('shipment_already_dispatched');
        return { shipment, replayed: true };
      }
      case 'move': {
        if (input.tracking_url !== null) {
          const address = await this.repository.readDeliveryAddress(manager, order.pharmacyOrderUid);
          if (address && urlContainsAddress(input.tracking_url, address)) {
            throw new ShipmentError('tracking_url_contains_patient_data');
          }
        }
        const updated = await writeTransition(this.repository, manager, shipment, {
          to: decision.to,
          trigger: 'dispatch',
          initiator: 'pharmacy',
          at: this.clock.now(),
          tracking: {
            carrier: input.carrier,
            trackingNumber: input.tracking_number,
            trackingUrl: input.tracking_url,
          },
        });
        return { shipment: updated, replayed: false };
      }
    }
  }

  /**
   * The patient collected a pickup order in person: `pharmacy.shipment.handed-over`, which order-service
   * turns into complete_order without tracking.
   */
  async recordHandOver(manager: EntityManager, input: RecordHandOverInput): Promise<DeskResult> {
    const { shipment } = await this.orderAndShipment(manager, input.pharmacy_order_uid, 'hand-over');
    return this.simpleMove(manager, shipment, 'hand-over', this.clock.now());
  }

  /** The carrier delivered the parcel (at the carrier's time when given). Closes the shipment. */
  async markDelivered(manager: EntityManager, input: MarkDeliveredInput): Promise<DeskResult> {
    const now = this.clock.now();
    const at = input.delivered_at ? new Date(input.delivered_at) : now;
    if (at.getTime() > now.getTime()) throw new ShipmentError('delivered_in_future');
    const { shipment } = await this.orderAndShipment(manager, input.pharmacy_order_uid, 'deliver');
    return this.simpleMove(manager, shipment, 'deliver', at);
  }

  private async simpleMove(
    manager: EntityManager,
    shipment: Shipment,
    trigger: ShipmentTrigger,
    at: Date,
  ): Promise<DeskResult> {
    const decision = decideTransition(shipment, trigger);
    switch (decision.type) {
      case 'refuse':
        throw new ShipmentError(decision.code);
      case 'repeat':
        return { shipment, replayed: true };
      case 'move': {
        const updated = await writeTransition(this.repository, manager, shipment, {
          to: decision.to,
          trigger,
          initiator: 'pharmacy',
          at,
        });
        return { shipment: updated, replayed: false };
      }
    }
  }

  /**
   * The order (locked, so a cancellation and a desk command on one order run one after the other) and its
   * shipment, or the refusal that says most: unknown, cancelled, wrong delivery type, not ready yet.
   */
  private async orderAndShipment(
    manager: EntityManager,
    pharmacyOrderUid: string,
    trigger: Exclude<ShipmentTrigger, 'cancel'>,
  ): Promise<{ order: ShippingOrder; shipment: Shipment }> {
    const order = await this.repository.findOrder(manager, pharmacyOrderUid, { lock: true });
    if (!order) throw new ShipmentError('order_not_found');
    if (order.status === 'cancelled') throw new ShipmentError('order_cancelled');
    const wanted = trigger === 'hand-over' ? 'hand-over' : 'shipment';
    if (order.fulfilment !== wanted) throw new ShipmentError('delivery_type_mismatch');
    const shipment = await this.repository.findShipmentByOrder(manager, pharmacyOrderUid);
    if (order.status === 'received' || !shipment) throw new ShipmentError('order_not_ready');
    return { order, shipment };
  }
}
