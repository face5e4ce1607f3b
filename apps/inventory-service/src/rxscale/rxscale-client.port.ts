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
  /**
   * Whether a source (API key) of this deployment holds the pharmacy. Its orders are this deployment's to
   * reserve; another's (a second deployment on the same topics) are not answered at all.
   */
  serves(pharmacyUid: string): boolean;
}

export const RXSCALE_CLIENTS = Symbol('inventory.rxscale-clients');
