import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import {
  encodeShipmentCursor,
  type ListShipmentsQuery,
  type ShipmentOfOrderInput,
} from './shipment-input.js';
import { ShipmentError } from './shipment.errors.js';
import { ShipmentRepository, type Shipment, type ShipmentHistoryEntry } from './shipment.repository.js';

export interface ShipmentPage {
  shipments: Shipment[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** What the desk reads: shipments by state (flagged ones need a person), search, one order's story. */
@Injectable()
export class ShipmentQueryService {
  constructor(private readonly repository: ShipmentRepository) {}

  async list(manager: EntityManager, query: ListShipmentsQuery): Promise<ShipmentPage> {
    // One row more than asked tells whether another page exists.
    const rows = await this.repository.listShipments(manager, {
      ...(query.pharmacy_uid ? { pharmacyUid: query.pharmacy_uid } : {}),
      ...(query.state ? { states: query.state } : {}),
      ...(query.pharmacy_order_uid ? { pharmacyOrderUid: query.pharmacy_order_uid } : {}),
      ...(query.tracking_number ? { trackingNumber: query.tracking_number } : {}),
      ...(query.q ? { search: query.q } : {}),
      ...(query.cursor ? { after: query.cursor } : {}),
      limit: query.limit + 1,
    });
    const shipments = rows.slice(0, query.limit);
    const last = shipments[shipments.length - 1];
    return { shipments, nextCursor: rows.length > query.limit && last ? encodeShipmentCursor(last) : null };
  }

  async ofOrder(
    manager: EntityManager,
    input: ShipmentOfOrderInput,
  ): Promise<{ shipment: Shipment; history: ShipmentHistoryEntry[] }> {
    const shipment = await this.repository.findShipmentByOrder(manager, input.pharmacy_order_uid);
    if (!shipment) throw new ShipmentError('shipment_not_found');
    return { shipment, history: await this.repository.listHistory(manager, shipment.shipmentUid) };
  }
}
