import { type RxScaleClient } from '@rxbridge/rxscale-client';

/** The RxScale calls inventory-service makes. */
export type InventoryRxscaleClient = Pick<
  RxScaleClient,
  'updatePharmacySkuStock' | 'updatePharmacySkuExternalId' | 'iteratePharmacySkus'
>;

/**
 * The client for a pharmacy: its source's key, base URL and rate budget (DESIGN.md §6). The service
 * module provides it from the keys' configuration.
 */
export interface RxscaleClientPort {
  clientFor(pharmacyUid: string): InventoryRxscaleClient;
}

export const RXSCALE_CLIENTS = Symbol('inventory.rxscale-clients');
