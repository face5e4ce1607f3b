import { Inject, Injectable } from '@nestjs/common';
import { type PharmacyOrder, type RxScalePriority } from '@rxbridge/rxscale-client';
import { RXSCALE_CLIENT_SOURCE, type RxScaleClientSource } from './rxscale-client-source.js';

/** The order as order-service takes it in: the detail without the prescription file (never stored, DESIGN.md §7). */
export type FetchedOrder = PharmacyOrder;

/**
 * Reads an order's current detail from RxScale, for the Kafka handler to call before `receive` and for an
 * operator's retry (a use case never calls RxScale). Errors are the client's: 404 is permanent, 429/5xx/
 * timeouts are retryable. `priority` defaults to the endpoint's (`order-status`).
 */
export interface OrderDetailSource {
  fetch(
    pharmacyUid: string,
    pharmacyOrderUid: string,
    options?: { priority?: RxScalePriority },
  ): Promise<FetchedOrder>;
}

export const ORDER_DETAIL_SOURCE = Symbol('order-service.order-detail-source');

@Injectable()
export class RxScaleOrderDetailSource implements OrderDetailSource {
  constructor(@Inject(RXSCALE_CLIENT_SOURCE) private readonly clients: RxScaleClientSource) {}

  async fetch(
    pharmacyUid: string,
    pharmacyOrderUid: string,
    options: { priority?: RxScalePriority } = {},
  ): Promise<FetchedOrder> {
    const detail = await this.clients.clientFor(pharmacyUid).getPharmacyOrder(pharmacyOrderUid, {
      pharmacyUid,
      ...(options.priority ? { priority: options.priority } : {}),
    });
    // dropped here so the file's content never travels further than this function
    const { prescription_file: _file, ...order } = detail;
    return order;
  }
}
