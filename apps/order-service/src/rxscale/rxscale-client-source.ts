import { type RxScaleClient } from '@rxbridge/rxscale-client';

/**
 * Which RxScale client (key, base URL, rate budget) serves a pharmacy (DESIGN.md §6: every pharmacy belongs
 * to exactly one source). The shape of the multi-key resolution being built in parallel; until it lands, a
 * single client serves every pharmacy (`singleClientSource`).
 */
export interface RxScaleClientSource {
  clientFor(pharmacyUid: string): RxScaleClient;
}

export const RXSCALE_CLIENT_SOURCE = Symbol('order-service.rxscale-client-source');

export function singleClientSource(client: RxScaleClient): RxScaleClientSource {
  return { clientFor: () => client };
}
