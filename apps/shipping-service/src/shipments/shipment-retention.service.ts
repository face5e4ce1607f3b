import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { SHIPPING_CONFIG, type ShippingConfig } from '../config/shipping-service-config.js';
import { ShipmentRepository } from './shipment.repository.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AddressPurgeResult {
  /** How many delivery addresses were deleted. */
  purged: number;
  /** Addresses of shipments closed before this moment went. */
  closedBefore: Date;
  /** And those of shipments still open that were expected before this moment. */
  openBefore: Date;
}

/**
 * Patient data is kept only as long as needed (DESIGN.md §7): a delivery address goes
 * SHIPPING_ADDRESS_RETENTION_DAYS after its shipment closed (delivered, handed over, stopped or flagged),
 * and at the latest SHIPPING_ADDRESS_MAX_OPEN_DAYS after it was expected while it stays open (an order never
 * packed off nor cancelled, a parcel never marked delivered). Run by AddressRetentionJob; safe to run from
 * several replicas at once.
 */
@Injectable()
export class ShipmentRetentionService {
  constructor(
    private readonly repository: ShipmentRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SHIPPING_CONFIG)
    private readonly config: Pick<ShippingConfig, 'addressRetentionDays' | 'addressMaxOpenDays'>,
  ) {}

  async purgeDeliveryAddresses(manager: EntityManager): Promise<AddressPurgeResult> {
    const now = this.clock.now();
    const closedBefore = new Date(now.getTime() - this.config.addressRetentionDays * DAY_MS);
    const openBefore = new Date(now.getTime() - this.config.addressMaxOpenDays * DAY_MS);
    const purged = await this.repository.purgeDeliveryAddresses(manager, { closedBefore, openBefore }, now);
    return { purged, closedBefore, openBefore };
  }
}
