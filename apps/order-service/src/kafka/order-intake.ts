import { Inject, Injectable } from '@nestjs/common';
import { PermanentError } from '@rxbridge/service-kit';
import { type PharmacyOrder } from '@rxbridge/rxscale-contract';
import { type EntityManager } from 'typeorm';
import { OrderMetrics } from '../metrics/order-metrics.js';
import { OrderLifecycleService, type ReceiveResult } from '../orders/order-lifecycle.service.js';
import { OrderRepository } from '../orders/order.repository.js';
import { OrderDetailPrefetch } from '../rxscale/order-detail-prefetch.js';
import { ORDER_DETAIL_SOURCE, type OrderDetailSource } from '../rxscale/order-detail.source.js';

export type IntakeSource = 'webhook' | 'safety-net';

/**
 * The one path an order takes in, whether a webhook (created or updated) or the safety net brought it
 * (docs/design.md "Order service"): an order not stored yet is fetched from RxScale first (its full detail,
 * without the prescription file; usually already fetched for its run by `OrderDetailPrefetch`), before any row
 * is locked; a known order is compared with what the webhook
 * or listing says, with no RxScale call (RxScale echoes each of our own changes: fetching would cost 4 calls
 * per order more). `receive` does the rest in the caller's transaction.
 */
@Injectable()
export class OrderIntake {
  constructor(
    private readonly lifecycle: OrderLifecycleService,
    private readonly orders: OrderRepository,
    @Inject(ORDER_DETAIL_SOURCE) private readonly detail: OrderDetailSource,
    private readonly metrics: OrderMetrics,
    private readonly prefetched: OrderDetailPrefetch,
  ) {}

  async takeIn(manager: EntityManager, data: PharmacyOrder, source: IntakeSource): Promise<ReceiveResult> {
    const uid = data.uid;
    const pharmacyUid = (data.pharmacy as { uid?: unknown } | undefined)?.uid;
    if (typeof pharmacyUid !== 'string' || pharmacyUid.length === 0)
      throw new PermanentError("RxScale's order names no pharmacy", 'order_invalid');
    // fetched for its run because it was not stored then: taken in as new, without a lookup first
    const prefetched = this.prefetched.take(uid);
    let result: ReceiveResult;
    if (prefetched) result = await this.lifecycle.receive(manager, prefetched, { probablyNew: true });
    else {
      // locked now, as `receive` would lock it: a known order is compared with no second lookup
      const known = await this.orders.lock(manager, uid);
      result = known
        ? await this.lifecycle.receive(manager, data, { locked: known })
        : await this.lifecycle.receive(manager, await this.detail.fetch(pharmacyUid, uid), {
            probablyNew: true,
          });
    }
    if (result.outcome === 'created') {
      this.metrics.received(pharmacyUid, source);
      if (result.state === 'refused') this.metrics.refused(pharmacyUid, 'state-machine');
    }
    return result;
  }
}
