import { OrderFollowerService } from './order-follower.service.js';
import { ShipmentDeskService } from './shipment-desk.service.js';
import { ShipmentQueryService } from './shipment-query.service.js';
import { ShipmentRetentionService } from './shipment-retention.service.js';
import { ShipmentRepository } from './shipment.repository.js';

/**
 * The shipping domain's Nest providers, for the service module (a later phase). They need CLOCK,
 * FIELD_CIPHER and SHIPPING_CONFIG bound beside them.
 */
export const SHIPPING_PROVIDERS = [
  ShipmentRepository,
  OrderFollowerService,
  ShipmentDeskService,
  ShipmentQueryService,
  ShipmentRetentionService,
] as const;
