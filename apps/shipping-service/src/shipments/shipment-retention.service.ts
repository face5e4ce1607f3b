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
}

/**
 * Patient data is kept only as long as needed (DESIGN.md §7): a delivery address goes
 * SHIPPING_ADDRESS_RETENTION_DAYS after its shipment closed (delivered, handed over, stopped or flagged).
 * Run on a schedule by the service (a later phase); safe to run from several replicas at once.
 */
@Injectable()
export class ShipmentRetentionService {
  constructor(
    private readonly repository: ShipmentRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SHIPPING_CONFIG) private readonly config: Pick<ShippingConfig, 'addressRetentionDays'>,
  ) {}

  async purgeDeliveryAddresses(manager: EntityManager): Promise<AddressPurgeResult> {
    const now = this.clock.now();
    const closedBefore = new Date(now.getTime() - this.config.addressRetentionDays * DAY_MS);
    const purged = await this.repository.purgeDeliveryAddresses(manager, closedBefore, now);
    return { purged, closedBefore };
  }
}
